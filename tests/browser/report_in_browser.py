#!/usr/bin/env python3
"""The HTML report in a real browser.

Builds a database of four machines (this CPU as it is and capped at AVX2 and
SSE4.1 by EFFBENCH_MAX_ISA, and a Google Benchmark file from another host),
writes the static report, starts `effbench serve --http`, and opens the static
file and the live page in headless Chromium. It checks the DOM (the tables,
every chart drawn with data points, the filters changing what is shown), that
nothing is written to the console and that no request leaves the page, and
keeps screenshots in OUT_DIR.

The checker proves itself first: a probe page with an external image and a
console error must be caught.

usage: report_in_browser.py EFFBENCH CHROMIUM TEST_DATA_DIR OUT_DIR
"""
import html.parser
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

EFFBENCH, CHROMIUM, DATA, OUT = sys.argv[1:5]

# Chromium's own services, which it calls whatever the page is: not the page's.
BROWSER_HOSTS = {"clients2.google.com", "update.googleapis.com", "accounts.google.com",
                 "redirector.gvt1.com", "www.google.com", "content-autofill.googleapis.com",
                 "optimizationguide-pa.googleapis.com", "safebrowsingohttpgateway.googleapis.com"}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
         "--disable-client-side-phishing-detection", "--hide-scrollbars",
         "--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck",
         "--enable-logging=stderr", "--v=0"]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED: " + what, file=sys.stderr)


class Dom(html.parser.HTMLParser):
    """The parts of a page the checks need: tables' rows, charts' points, forms, links."""

    def __init__(self):
        super().__init__()
        self.rows = {}        # table id -> rows
        self.charts = []      # points per figure.chart
        self.forms = []
        self.refs = []        # every src and href
        self._table = None
        self._in_chart = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if key in a:
                self.refs.append(a[key])
        if tag == "table":
            self._table = a.get("id", "")
            self.rows.setdefault(self._table, 0)
        elif tag == "tr" and self._table is not None:
            self.rows[self._table] += 1
        elif tag == "figure" and "chart" in a.get("class", ""):
            self.charts.append(0)
            self._in_chart = True
        elif tag == "g" and a.get("class") == "point" and self._in_chart:
            self.charts[-1] += 1
        elif tag == "form":
            self.forms.append(a.get("id", ""))

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "figure":
            self._in_chart = False


def open_page(url, name, allowed_origin):
    """Loads `url`: its DOM, console messages and the hosts it requested."""
    netlog = os.path.join(OUT, name + "-netlog.json")
    dom = subprocess.run([CHROMIUM, *FLAGS, "--log-net-log=" + netlog, "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    subprocess.run([CHROMIUM, *FLAGS, "--window-size=1280,1600",
                    "--screenshot=" + os.path.join(OUT, name + ".png"), url],
                   capture_output=True, text=True, timeout=120)
    console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
    with open(netlog, encoding="utf-8", errors="replace") as f:
        urls = set(re.findall(r'"url":"([^"]*)"', f.read()))
    external = []
    for u in urls:
        parsed = urllib.parse.urlparse(u)
        if parsed.scheme in ("file", "data", "chrome", "about", "blob"):
            continue
        origin = parsed.scheme + "://" + parsed.netloc
        if origin == allowed_origin or parsed.hostname in BROWSER_HOSTS:
            continue
        external.append(u)
    parsed = Dom()
    parsed.feed(dom.stdout)
    return parsed, console, external


def effbench(*args, env=None):
    run = subprocess.run([EFFBENCH, *args], capture_output=True, text=True, timeout=600,
                         env={**os.environ, **(env or {})})
    if run.returncode != 0:
        sys.exit("effbench " + " ".join(args) + " failed:\n" + run.stderr)
    return run


os.makedirs(OUT, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    # The checker catches what it must.
    probe = os.path.join(tmp, "probe.html")
    with open(probe, "w") as f:
        f.write('<!DOCTYPE html><html><body><img src="http://example.invalid/a.png">'
                '<script>console.error("probe")</script></body></html>')
    _, console, external = open_page("file://" + probe, "probe", "")
    if not console or not any("example.invalid" in u for u in external):
        sys.exit("the browser checks are blind: the probe's console error or external "
                 "request went unseen (console %r, requests %r)" % (console, external))

    db = os.path.join(tmp, "b.db")
    for cap in ("", "avx2", "sse41"):
        effbench("run", "--workloads", "gemm.*/m35n700k2048@onednn", "--repetitions", "3",
                 "--min-time", "0.005", "--db", db, env={"EFFBENCH_MAX_ISA": cap})
    effbench("import", "--input-format", "gbench", os.path.join(DATA, "gbench", "reps.json"),
             "--db", db, "--commit", "c0ffee01")

    static = os.path.join(OUT, "static.html")
    effbench("report", "--db", db, "--format", "html", "--out", static)
    dom, console, external = open_page("file://" + static, "static", "")
    check(dom.rows.get("machines") == 5, "static: 4 machines and a header row, got %r" % dom.rows)
    check(dom.rows.get("efficiency", 0) >= 4, "static: the efficiency table has its rows")
    check(dom.charts and all(n > 0 for n in dom.charts),
          "static: every chart has data points, got %r" % dom.charts)
    check(not console, "static: console messages %r" % console)
    check(not external, "static: requests leaving the page %r" % external)
    check(all(r.startswith("#") for r in dom.refs), "static: only in-page links, got %r" % dom.refs)

    token = os.path.join(tmp, "fleet.token")
    effbench("token", "new", "--out", token)
    ready = os.path.join(tmp, "ready.json")
    serve = subprocess.Popen([EFFBENCH, "serve", "--db", db, "--listen", "127.0.0.1:0",
                              "--http", "127.0.0.1:0", "--token-file", token,
                              "--ready-file", ready], stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(OUT, "serve.log"), "w"))
    try:
        for _ in range(600):
            if os.path.exists(ready):
                break
            time.sleep(0.1)
        port = json.load(open(ready))["http"]
        origin = "http://127.0.0.1:%d" % port
        live, console, external = open_page(origin + "/", "live", origin)
        check("filters" in live.forms, "live: the filter form is there")
        check(live.rows.get("machines") == 5, "live: 4 machines, got %r" % live.rows)
        check(live.charts and all(n > 0 for n in live.charts),
              "live: every chart has data points, got %r" % live.charts)
        check(not console, "live: console messages %r" % console)
        check(not external, "live: requests leaving the page %r" % external)
        fp = json.loads(effbench("report", "--db", db, "--format", "json").stdout)
        capped = [m["fingerprint"][:8] for m in fp["machines"] if "capped" in m["isa"]]
        filtered, console, external = open_page(
            origin + "/?variants=int8&machines=" + ",".join(capped), "filtered", origin)
        check(filtered.rows.get("machines") == 3, "filtered: 2 machines, got %r" % filtered.rows)
        check(0 < filtered.rows.get("efficiency", 0) < live.rows.get("efficiency", 0),
              "filtered: fewer rows than unfiltered (%r against %r)" %
              (filtered.rows.get("efficiency"), live.rows.get("efficiency")))
        check(not console, "filtered: console messages %r" % console)
        history, console, external = open_page(origin + "/history", "history", origin)
        check("filters" in history.forms, "history: the filter form is there")
        check(history.charts and all(n > 0 for n in history.charts),
              "history: every series' chart has its points, got %r" % history.charts)
        check(not console, "history: console messages %r" % console)
        check(not external, "history: requests leaving the page %r" % external)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)

if failures:
    sys.exit("%d check(s) failed" % len(failures))
print("browser checks passed; screenshots in " + OUT)
