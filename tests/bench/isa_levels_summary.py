"""Summarises one quick-suite run (effbench report --format json on stdin) for
tests/bench/isa_levels.sh: counts by status, the skip reasons, and the speedups
issue 11 asks for."""
import collections
import json
import sys

records = json.load(sys.stdin)
by_name = {r["name"]: r for r in records}
status = collections.Counter(r["status"] for r in records)
print(f"  {len(records)} workloads: " + ", ".join(f"{n} {s}" for s, n in sorted(status.items())))
reasons = collections.Counter(r["error"] for r in records if r["status"] == "skipped")
for reason, n in reasons.most_common():
    print(f"    skipped {n}x: {reason}")
for r in records:
    if r["status"] not in ("ok", "skipped"):
        print(f"    FAILED {r['name']}: {r['error']}")


def median_ms(name):
    r = by_name.get(name)
    if not r or r["status"] != "ok":
        return None
    return r["stats"]["median_ns"] / 1e6


def line(label, base, other):
    b, o = median_ms(base), median_ms(other)
    if b is None or o is None:
        why = by_name.get(other, {}).get("error") or "not run"
        print(f"  {label:34s} n/a ({why})")
        return
    r = by_name[other]
    extra = ""
    q = r.get("quality") or {}
    if "top1_agreement" in q:
        extra = f"  top-1 agreement {q['top1_agreement']:.3f}, SQNR {q['sqnr_db']:.1f} dB"
    elif r["fidelity"]["rel_l2"] is not None:
        extra = f"  rel_l2 {r['fidelity']['rel_l2']:.1e}"
    bits = (r.get("quantization") or {}).get("weight_bits")
    if bits:
        extra += f"  ({bits}-bit weights)"
    impl = r["variant"].get("implementation", "")
    print(f"  {label:34s} {b:9.2f} ms -> {o:9.2f} ms  {b / o:5.2f}x{extra}  [{impl}]")


line("GEMM 1024^3 int8 vs fp32", "gemm.fp32/m1024n1024k1024@onednn",
     "gemm.int8/m1024n1024k1024@onednn")
line("GEMM 1024^3 bf16 vs fp32", "gemm.fp32/m1024n1024k1024@onednn",
     "gemm.bf16/m1024n1024k1024@onednn")
line("MobileNet v2 n8 int8 vs fp32", "net.mobilenet_v2.fp32/n8r224@onednn",
     "net.mobilenet_v2.int8_pc_minmax/n8r224@onednn")
line("SpMM 90% n=1 CSR vs dense", "spmm.fp32/m7680n1k2560s90@onednn",
     "spmm.fp32/m7680n1k2560s90@csr")
line("SpMM 90% n=1500 CSR vs dense", "spmm.fp32/m7680n1500k2560s90@onednn",
     "spmm.fp32/m7680n1500k2560s90@csr")
over = [r for r in records if r["status"] == "ok" and (r["efficiency"]["roofline_fraction"] or 0) > 1]
for r in over:
    print(f"  above the roof: {r['name']} {100 * r['efficiency']['roofline_fraction']:.0f} %"
          f" ({r.get('roofline_note') or r['efficiency'].get('note') or ''})")
