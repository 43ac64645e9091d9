#!/usr/bin/env python3
"""Hostile peers against a real coordinator while 3 real agents finish a job.

Starts `effbench serve` and 3 agents, times a job with nobody hostile, then
opens 500 hostile connections (125 half-open, 125 trickling a frame a byte a
second, 125 announcing a 100 MB frame, 125 connecting and hanging up in a
loop) and times the same job again. Prints the coordinator's peak RSS, its
descriptors before, during and after, the job times and any agent error.

    tests/bench/hostile_peers.py [BUILD_DIR]
"""
import atexit, json, os, shutil, socket, struct, subprocess, sys, tempfile, threading, time
import urllib.request

build = sys.argv[1] if len(sys.argv) > 1 else "build"
effbench = os.path.join(build, "harness/cli/effbench")
agent_bin = os.path.join(build, "agents/effbench-agent")
TOKEN = "hostile-bench-fleet-token-0123456789"
tmp = tempfile.mkdtemp(prefix="effbench-hostile-")
procs = []


# Whatever happens (an exception, Ctrl-C), the processes stop and the
# temporary directory goes: it held a database, logs and spools.
@atexit.register
def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)


open(f"{tmp}/t", "w").write(TOKEN + "\n")
os.chmod(f"{tmp}/t", 0o600)
serve = subprocess.Popen([effbench, "serve", "--db", f"{tmp}/f.db", "--listen", "127.0.0.1:0",
                          "--http", "127.0.0.1:0", "--token-file", f"{tmp}/t", "--ready-file",
                          f"{tmp}/ready.json", "--heartbeat", "1"],
                         stdout=open(f"{tmp}/serve.log", "w"), stderr=subprocess.STDOUT)
procs.append(serve)
while not os.path.exists(f"{tmp}/ready.json"):
    time.sleep(0.05)
ports = json.load(open(f"{tmp}/ready.json"))


def http(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{ports['http']}{path}", method=method,
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def proc(field):
    for line in open(f"/proc/{serve.pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0


def fds():
    return len(os.listdir(f"/proc/{serve.pid}/fd"))


agents = [subprocess.Popen([agent_bin, "--coordinator", f"tcp://127.0.0.1:{ports['agents']}",
                            "--token-file", f"{tmp}/t", "--spool", f"{tmp}/spool-{i}", "--name",
                            f"a{i}", "--labels", "role=real", "--no-calibrate", "--max-backoff",
                            "0.5"], stdout=open(f"{tmp}/agent-{i}.log", "w"),
                           stderr=subprocess.STDOUT) for i in range(3)]
procs.extend(agents)
while sum(a.get("connected", False) for a in http("GET", "/api/agents")["agents"]) < 3:
    time.sleep(0.1)


def job_seconds():
    t0 = time.time()
    ids = [j["id"] for j in http("POST", "/api/jobs", {
        "workload": "gemm.fp32/m35n700k2048*", "agents": "role=real",
        "options": {"repetitions": 3, "min_time_s": 0.2, "seed": 1}})["jobs"]]
    while True:
        jobs = {j["id"]: j for j in http("GET", "/api/jobs")["jobs"]}
        if all(jobs[i]["state"] in ("done", "failed") for i in ids):
            return time.time() - t0, [jobs[i]["state"] for i in ids]
        time.sleep(0.1)


base_time, base_states = job_seconds()
fds_before = fds()
rss_before = proc("VmRSS")
stop = threading.Event()
held = []


def connect():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("127.0.0.1", ports["agents"]))
    return s


def half_open():
    try:
        held.append(connect())
    except OSError:
        pass


def trickle():
    try:
        s = connect()
        s.sendall(struct.pack(">I", 4 << 20))
        held.append(s)
        while not stop.is_set():
            s.send(b" ")
            time.sleep(1)
    except OSError:
        pass


def oversized():
    try:
        s = connect()
        s.sendall(struct.pack(">I", 100 << 20) + b"x" * 1000)
        held.append(s)
    except OSError:
        pass


churned = [0]


def churn():
    while not stop.is_set():
        try:
            connect().close()
            churned[0] += 1
        except OSError:
            time.sleep(0.01)


threads = [threading.Thread(target=f) for f in [half_open] * 125 + [trickle] * 125 + [oversized] * 125]
threads += [threading.Thread(target=churn) for _ in range(5)]  # 125 churn slots, 5 loops
for t in threads:
    t.start()
peak = [0.0]


def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], proc("VmRSS"))
        time.sleep(0.2)


sampler = threading.Thread(target=sample)
sampler.start()
time.sleep(2)
fds_during = fds()
attack_time, attack_states = job_seconds()
stop.set()
for t in threads + [sampler]:
    t.join()
for s in held:
    s.close()
time.sleep(3)
fds_after = fds()
errors = sum(open(f"{tmp}/agent-{i}.log").read().count("error") for i in range(3))
print(f"job (3 agents, 2 workloads): {base_time:.1f} s alone {base_states}, "
      f"{attack_time:.1f} s under 500 hostile connections {attack_states}")
print(f"coordinator RSS: {rss_before:.1f} MB before, peak {peak[0]:.1f} MB "
      f"(VmHWM {proc('VmHWM'):.1f} MB)")
print(f"coordinator descriptors: {fds_before} before, {fds_during} during, {fds_after} after")
print(f"churned connections: {churned[0]}; agent log lines with 'error': {errors}")
print("serve log lines:", sum(1 for _ in open(f"{tmp}/serve.log")))
for a in agents:
    a.terminate()
serve.terminate()
serve.wait(30)
