"""Sessions that come and go: N cycles of a real Chromium tab that opens the
app, starts a small training run and is closed while the run still trains.

Afterwards, once the registry's idle reaper has had time to act, no training
thread may be left in the server and its memory must not keep growing.

The server is the real app (``streamlit run app.py``, the repo's config). Two
knobs are shortened so 50 cycles fit in minutes, and the report says so: the
run registry's idle timeout (app default 120 s) and running-run cap (app
default: one per core), set through the bench probe, and
``server.disconnectedSessionTTL`` (config: 300 s), so closed sessions are
really dropped before the final memory reading. The probe also reports the
server's Python threads by name ('gru-run-<id>' is a training thread).

    python bench/session_cycles.py                 # 50 cycles
    python bench/session_cycles.py --cycles 5      # quick look
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_viewers import load_line, machine_line  # noqa: E402
from tests.support.browser import CHROMIUM  # noqa: E402
from tests.support.server import StreamlitServer  # noqa: E402
from tests.support.session_cycles import CycleReport, run_cycles  # noqa: E402

SHARED_TEXT = REPO.parent / "shared" / "data" / "timemachine.txt"


def summary(report: CycleReport, args) -> str:
    growth = report.rss_after - report.rss_before
    per_cycle = growth / max(report.cycles, 1)
    ok = not report.training_threads_at_end and not any(
        run["state"] in ("running", "paused", "idle") for run in report.runs_at_end)
    return "\n".join([
        "| cycles | s/cycle | runs started | training threads left | runs still registered "
        "| server RSS before / after MB | growth MB (per cycle) | OS threads before / after "
        "| idle server CPU % |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {report.cycles} | {report.seconds_per_cycle:.1f} | {report.runs_started} | "
        f"{len(report.training_threads_at_end)} | {len(report.runs_at_end)} | "
        f"{report.rss_before:.0f} / {report.rss_after:.0f} | {growth:+.0f} ({per_cycle:+.2f}) | "
        f"{report.threads_before} / {report.threads_after} | {report.idle_cpu_percent:.1f} |",
        "",
        f"RSS after each cycle (MB): {', '.join(f'{v:.0f}' for v in report.rss_mb)}",
        f"Training threads left after the reaper: {report.training_threads_at_end or 'none'}.",
        f"Verdict: {'PASS' if ok else 'FAIL'} (no training thread or active run may remain).",
    ])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--hiddens", type=int, default=16, help="a small run")
    parser.add_argument("--epochs", type=int, default=5000, help="long enough to outlive its tab")
    parser.add_argument("--idle-timeout", type=float, default=8,
                        help="registry idle timeout, s (the app's default is 120)")
    parser.add_argument("--max-running", type=int, default=16,
                        help="registry cap on running runs (the app's default: one per core)")
    parser.add_argument("--session-ttl", type=int, default=10,
                        help="server.disconnectedSessionTTL, s (the config says 300)")
    parser.add_argument("--chromium-path", default=CHROMIUM)
    parser.add_argument("--app-dir", type=Path, default=REPO,
                        help="folder with app.py and .streamlit/ (default: this repo)")
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument("--log", type=Path,
                        default=Path(tempfile.gettempdir()) / "session_cycles.log")
    args = parser.parse_args()
    args.reap_wait = args.idle_timeout + 30
    return args


def main() -> None:
    args = parse_args()
    data_dir = tempfile.mkdtemp(prefix="gru-data-")
    if SHARED_TEXT.is_file():
        shutil.copy(SHARED_TEXT, Path(data_dir) / "timemachine.txt")
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_before = load_line()
    print(f"{started}; {machine_line()}; {load_before}", flush=True)
    registry = {"idle_timeout_s": args.idle_timeout, "reap_interval_s": 1,
                "max_running": args.max_running}
    with StreamlitServer("app.py", str(args.app_dir), log_path=str(args.log), probe=True,
                         registry=registry, env={"GRU_EXPLAINER_DATA": data_dir},
                         options={"server.disconnectedSessionTTL": args.session_ttl}) as server:
        report = run_cycles(server, args)
    shutil.rmtree(data_dir, ignore_errors=True)
    text = "\n".join([
        f"Run {started}; machine: {machine_line()}",
        f"Before: {load_before}; after: {load_line()} (other work shares these cores).",
        f"Command: python bench/session_cycles.py {' '.join(sys.argv[1:])}",
        f"Knobs: registry idle timeout {args.idle_timeout:g} s, cap {args.max_running} running "
        f"runs, disconnectedSessionTTL {args.session_ttl:g} s; each run {args.hiddens} hiddens, "
        f"{args.epochs} epochs, d2l's other defaults.",
        "",
        summary(report, args),
    ])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    ok = "PASS" in text.splitlines()[-1]
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
