"""``python -m gru_core train|predict`` — d2l's training run from a terminal."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import engine
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import SETTINGS, TrainConfig
from .data import CORPUS_SOURCES, Corpus, CorpusError, load_corpus
from .models import CONCISE_INITS, MODEL_KINDS, DeviceError, resolve_device
from .sampling import predict
from .training import SAMPLE_EVERY, SAMPLE_LENGTH, DivergedError, fit, snapshot_schedule


def progress_line(epoch: int, total: int, record: dict, width: int = 30) -> str:
    done = int(width * epoch / total)
    return (f"\r[{'#' * done}{'.' * (width - done)}] epoch {epoch}/{total} "
            f"perplexity {record['perplexity']:.2f} {record['tokens_per_second']:,.0f} tokens/s")


def check_before_training(args, config: TrainConfig, corpus: Corpus) -> None:
    """Refuse what would otherwise fail only after (possibly long) training."""
    corpus.loader(config.batch_size, config.num_steps, config.use_random_iter)
    snapshot_schedule(config.num_epochs, args.snapshot_every, args.snapshot_epochs)
    for flag, target in (("--save", args.save), ("--json-out", args.json_out)):
        if target is None:
            continue
        folder = Path(target).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"{flag} {target}: cannot create its folder ({exc.strerror})") from None
        if Path(target).is_dir() or not os.access(folder, os.W_OK):
            raise ValueError(f"{flag} {target}: cannot write there")


def cmd_train(args) -> int:
    config = TrainConfig(model=args.model, use_random_iter=args.random_iter, device=args.device,
                         concise_init=args.concise_init, **{setting.field: getattr(args, setting.field) for setting in SETTINGS})
    config.validate()
    corpus = load_corpus(args.corpus, args.max_tokens, args.keep_case, args.fold_accents)
    check_before_training(args, config, corpus)
    print(f"corpus: {corpus.name}, {len(corpus.indices):,} tokens, vocabulary {len(corpus.vocab)}"
          f"{' — ' + corpus.note if corpus.note else ''}", file=sys.stderr)
    print(f"model: {config.model}, {config.num_hiddens} hiddens, device "
          f"{resolve_device(config.device)}", file=sys.stderr)

    def on_epoch(record, sample):
        if not args.quiet:
            print(progress_line(record["epoch"], config.num_epochs, record), end="",
                  file=sys.stderr, flush=True)
    started = time.perf_counter()
    model, history, stats = fit(corpus, config, on_epoch=on_epoch, sample_every=args.sample_every,
                                snapshot_every=args.snapshot_every,
                                snapshot_epochs=args.snapshot_epochs)
    wall = time.perf_counter() - started
    total_tokens = sum(r["num_tokens"] for r in history.epochs)
    train_seconds = sum(r["seconds"] for r in history.epochs)
    tokens_per_second = total_tokens / max(train_seconds, 1e-9)
    samples = {prefix: predict(prefix, SAMPLE_LENGTH, model, corpus.vocab)
               for prefix in corpus.sample_prefixes}
    print(file=sys.stderr)
    print(f"perplexity {stats.perplexity:.3f}, {tokens_per_second:,.0f} tokens/s on "
          f"{resolve_device(config.device)} ({wall:.1f} s wall)")
    for text in samples.values():
        print(text)
    if args.save:
        path = save_checkpoint(args.save, model, corpus.vocab, config, history,
                               snapshots=history.snapshots, corpus_name=corpus.name,
                               keep_case=corpus.keep_case, fold_accents=corpus.fold_accents,
                               sample_prefixes=corpus.sample_prefixes)
        print(f"saved {path}", file=sys.stderr)
    if args.json_out:
        result = {"perplexity": stats.perplexity, "tokens_per_second": tokens_per_second,
                  "epochs": config.num_epochs, "samples": samples, "config": config.to_dict(),
                  "corpus": corpus.name, "wall_seconds": wall, "history": history.epochs}
        Path(args.json_out).write_text(json.dumps(result, indent=2))
    return 0


def cmd_predict(args) -> int:
    checkpoint = load_checkpoint(args.checkpoint)
    print(predict(args.prefix, args.num_preds, checkpoint.model, checkpoint.vocab,
                  temperature=args.temperature, seed=args.seed))
    return 0


def print_engine_report(measure_default: bool) -> None:
    """``--engine-report``: the kernel paths the fast engine chose and the
    times it measured (before any training: measured now for d2l's shapes)."""
    if measure_default and not engine.kernel_report().shapes:
        d = TrainConfig()
        measure_fast_engine(d.num_hiddens, 28, d.batch_size, d.num_steps)
    print(f"engine: {engine_settings.describe()}")
    for line in engine.kernel_report().lines():
        print(line)
    print(engine.kernel_summary())


def measure_fast_engine(num_hiddens: int, vocab_size: int, batch_size: int, num_steps: int) -> None:
    """Run one forward of the fast engine on these shapes, so its kernel choice is made."""
    import torch
    from .models import make_model
    model = make_model("scratch-fast", vocab_size, num_hiddens, "cpu", seed=0)
    with torch.no_grad():
        model(torch.zeros(batch_size, num_steps, dtype=torch.long), model.begin_state(batch_size))


def epoch_list(text: str) -> list[int]:
    """'0,1,2,5' -> [0, 1, 2, 5] (argparse type)."""
    try:
        return sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, e.g. 0,1,2,5 (got '{text}')") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gru_core",
                                     description="Train and sample d2l's GRU and the chapter's "
                                                 "other cells.")
    parser.add_argument("--engine-report", action="store_true",
                        help="print the fast engine's kernel choice and measured times (after "
                             "the command, if one is given; else measured for d2l's shapes)")
    sub = parser.add_subparsers(dest="command")
    d = TrainConfig()
    train = sub.add_parser("train", help="train a model (d2l's GRU chapter defaults)")
    train.add_argument("--model", choices=MODEL_KINDS, default=d.model,
                       help="the model kind: d2l's GRU (scratch, default), nn.GRU (concise), "
                            "the plain RNN, the GRU without one gate, the LSTM or nn.LSTM")
    for setting in SETTINGS:  # the hyper-parameters, from the one table in gru_core.config
        train.add_argument(setting.flag, dest=setting.field, type=int if setting.whole else float,
                           default=getattr(d, setting.field),
                           help=f"{setting.help or setting.label.lower()} "
                                f"({setting.low:g}-{setting.high:g}; default %(default)s)")
    train.add_argument("--concise-init", choices=list(CONCISE_INITS), default=d.concise_init,
                       help="how nn.GRU's weights start (--model concise): "
                            + "; ".join(f"{key}: {words}" for key, words in CONCISE_INITS.items())
                            + " (default %(default)s)")
    train.add_argument("--random-iter", action="store_true", help="random sampling")
    train.add_argument("--device", default=d.device, help="auto, cpu or cuda")
    train.add_argument("--corpus", default="timemachine",
                       help=f"{', '.join(CORPUS_SOURCES)} (the default is the first), or a path "
                            f"to a UTF-8 text file")
    train.add_argument("--keep-case", action="store_true",
                       help="keep case and punctuation of --corpus PATH")
    train.add_argument("--fold-accents", action="store_true",
                       help="read accented letters of --corpus PATH as plain ones (é as e) "
                            "instead of dropping them (d2l's letters-only clean-up)")
    train.add_argument("--sample-every", type=int, default=SAMPLE_EVERY)
    train.add_argument("--snapshot-every", type=int, default=0, metavar="K",
                       help="keep float16 parameter snapshots every K epochs in the checkpoint")
    train.add_argument("--snapshot-epochs", type=epoch_list, default=None, metavar="E,E,...",
                       help="keep float16 parameter snapshots after these epochs (0 = before "
                            "training), e.g. 0,1,2,5,10,20,50,100,200,300,400,500")
    train.add_argument("--save", metavar="CKPT")
    train.add_argument("--json-out", metavar="FILE")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=cmd_train)
    pred = sub.add_parser("predict", help="continue a prefix with a saved model")
    pred.add_argument("--checkpoint", required=True)
    pred.add_argument("--prefix", default="time traveller")
    pred.add_argument("--num-preds", type=int, default=50)
    pred.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (d2l)")
    pred.add_argument("--seed", type=int, default=None)
    pred.set_defaults(func=cmd_predict)
    return parser


engine_settings = None


def main(argv=None) -> int:
    global engine_settings
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None and not args.engine_report:
        parser.error("a command is required: train or predict (or --engine-report)")
    engine_settings = engine.configure()
    try:
        status = args.func(args) if args.command else 0
        if args.engine_report:
            print_engine_report(measure_default=args.command is None)
        return status
    except (CorpusError, CheckpointError, DeviceError, DivergedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. --save or --json-out in a folder we may not write
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
