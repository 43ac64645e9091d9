"""PyTorch's MobileNet v2 at batch 1 on one thread, fp32 and int8, as the anchor
effbench's own numbers are compared with (issue 11). Run with Debian's
python3-torch and python3-torchvision (1.13 / 0.14):
    /usr/bin/python3 tests/bench/pytorch_mobilenet.py [--batch 1] [--runs 50]
fp32 is the best of eager, channels-last, trace+freeze and
optimize_for_inference; int8 is post-training static quantization (fused,
per-channel weights where the engine's default qconfig says so) on each
quantized engine present (onednn, qnnpack), calibrated on random inputs."""
import argparse
import statistics
import time

import torch
import torchvision

parser = argparse.ArgumentParser()
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--runs", type=int, default=50)
args = parser.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(args.batch, 3, 224, 224)


def median_ms(model, inp):
    with torch.no_grad():
        for _ in range(5):
            model(inp)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            model(inp)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


fp32 = {}
with torch.no_grad():
    m = torchvision.models.mobilenet_v2().eval()
    fp32["eager"] = median_ms(m, x)
    cl = m.to(memory_format=torch.channels_last)
    xcl = x.to(memory_format=torch.channels_last)
    fp32["channels-last"] = median_ms(cl, xcl)
    frozen = torch.jit.freeze(torch.jit.trace(cl, xcl))
    fp32["trace+freeze"] = median_ms(frozen, xcl)
    fp32["optimize_for_inference"] = median_ms(torch.jit.optimize_for_inference(
        torch.jit.trace(m, x)), x)
best = min(fp32, key=fp32.get)
print(f"torch {torch.__version__}, 1 thread, batch {args.batch}, median of {args.runs}")
for k, v in fp32.items():
    print(f"  fp32 {k:24s} {v:8.2f} ms")
print(f"  fp32 best: {best} {fp32[best]:.2f} ms")

for engine in [e for e in ("onednn", "qnnpack", "fbgemm")
               if e in torch.backends.quantized.supported_engines]:
    torch.backends.quantized.engine = engine
    q = torchvision.models.quantization.mobilenet_v2(quantize=False).eval()
    q.fuse_model()
    q.qconfig = torch.ao.quantization.get_default_qconfig(engine)
    torch.ao.quantization.prepare(q, inplace=True)
    with torch.no_grad():
        for _ in range(8):
            q(torch.randn(args.batch, 3, 224, 224))
    torch.ao.quantization.convert(q, inplace=True)
    t = median_ms(q, x)
    print(f"  int8 {engine:24s} {t:8.2f} ms  ({fp32[best] / t:.2f}x the best fp32)")
