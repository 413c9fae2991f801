"""Train: pick a corpus and d2l's hyper-parameters, start a run in the
background, steer it (pause, step, change lr) and watch it learn live."""
import streamlit as st
import torch

from app_ui import charts, corpora, runs
from app_ui.checkpoints import checkpoint_loader
from app_ui.display import NETWORK_NAMES, SHORT_NAMES, format_seconds, presenting, show_chart
from gru_core.config import D2L, SETTINGS, SETTINGS_BY_FIELD, TrainConfig
from gru_core.data import CORPUS_SOURCES, atomic_write_bytes
from gru_core.exports import records_csv
from gru_core.runs import RunControl, RunError, RunState
from gru_core.storage import checkpoint_path

MODEL_CHOICES = {"scratch": "From scratch (d2l's cell)", "concise": "nn.GRU",
                 "both": "Both, in lockstep"}
UPLOAD = "upload"
CORPUS_CHOICES = CORPUS_SOURCES | {UPLOAD: "Your own text file"}
CORPUS_SIZE = SETTINGS_BY_FIELD["max_tokens"]   # asked first: the corpus picker needs it
EPOCH_COLUMNS = ["epoch", "model", "perplexity", "tokens_per_second", "seconds", "elapsed_s"]
BATCH_COLUMNS = ["step", "epoch", "model", "loss", "grad_norm", "clipped", "lr"]


def setting_input(setting, disabled: bool):
    """A number input for one row of ``gru_core.config.SETTINGS``: its label,
    range, step and help, d2l's default, bound to the URL under its key."""
    cast = int if setting.whole else float
    extra = {} if setting.whole else {"format": "%g"}
    if setting.step is not None:
        extra["step"] = cast(setting.step)
    return cast(st.number_input(setting.label, min_value=cast(setting.low),
                                max_value=cast(setting.high),
                                value=cast(getattr(D2L, setting.field)), key=setting.url_key,
                                help=setting.help or None, disabled=disabled,
                                bind="query-params", persist_state="session", **extra))


def corpus_picker(max_tokens: int, disabled: bool):
    """The corpus radio; returns a Corpus, or None after explaining why."""
    choice = st.radio("Corpus", list(CORPUS_CHOICES), format_func=CORPUS_CHOICES.get,
                      key="corpus", horizontal=True, disabled=disabled,
                      bind="query-params", persist_state="session")
    if choice == UPLOAD:
        corpus = uploaded_text(max_tokens, disabled)
    else:
        corpus, problem = corpora.library_corpus(choice, max_tokens)
        if problem:
            others = " or ".join(f"*{label}*" for key, label in CORPUS_CHOICES.items()
                                 if key != choice)
            st.error(f"{CORPUS_CHOICES[choice]} is not available: {problem}")
            st.info(f"Choose {others} above, or fix the problem and retry.")
            if st.button(f"Retry loading {CORPUS_CHOICES[choice]}"):
                corpora.whole_book.clear()
                st.rerun()
    if corpus is not None:
        st.caption(corpora.describe_corpus(corpus))
    return corpus


def uploaded_text(max_tokens: int, disabled: bool):
    keep_case = st.checkbox("Keep case and punctuation", key="keep_case", disabled=disabled,
                            persist_state="session",
                            help="d2l keeps lowercase letters and spaces only (28 tokens).")
    upload = st.file_uploader("Text file (UTF-8)", type=["txt", "md", "csv", "text"],
                              key="corpus_upload", disabled=disabled)
    if upload is None:
        st.info("Upload a plain-text file to train on it.")
        return None
    corpus, problem = corpora.uploaded_corpus(upload.getvalue(), upload.name, max_tokens,
                                              keep_case)
    if problem:
        st.error(problem)
    return corpus


def hyper_parameters(disabled: bool) -> dict:
    """The model radio and one widget per hyper-parameter of SETTINGS (the
    corpus size is asked before the corpus); TrainConfig keyword arguments."""
    model = st.radio("Model", list(MODEL_CHOICES), format_func=MODEL_CHOICES.get, key="model",
                     horizontal=True, disabled=disabled, bind="query-params",
                     persist_state="session")
    columns = st.columns(3)
    with columns[-1]:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        device = st.selectbox("Device", devices, key="device", disabled=disabled,
                              bind="query-params", persist_state="session",
                              help="cuda appears when PyTorch sees a GPU.")
    rows = [setting for setting in SETTINGS if setting is not CORPUS_SIZE]
    per_column = -(-len(rows) // len(columns))
    values = {}
    for index, setting in enumerate(rows):
        with columns[index // per_column]:
            values[setting.field] = setting_input(setting, disabled)
    with columns[-1]:
        random_iter = st.toggle("Random sampling", key="random_iter", disabled=disabled,
                                bind="query-params", persist_state="session",
                                help="d2l's default here is sequential partitioning.")
    return values | {"model": model, "device": device, "use_random_iter": random_iter}


def start_run(config: TrainConfig, corpus) -> None:
    try:
        control = runs.registry().create(config.validate(), corpus, name=corpus.name)
    except ValueError as exc:  # RunError and CorpusError are ValueErrors too
        st.error(f"Could not start: {exc}")
        return
    try:
        control.start()
    except RunError as exc:  # e.g. the server's cap on training runs
        runs.registry().release(control.run_id)
        st.error(f"Could not start: {exc}")
        return
    runs.follow(control)
    st.rerun()


def setup(run) -> None:
    """Corpus + model + hyper-parameters + Start; locked while this session's run is active."""
    busy = runs.is_active(run)
    with st.expander("Set up a run", expanded=not busy):
        if busy:
            st.caption("Stop the current run to set up a new one.")
        max_tokens = setting_input(CORPUS_SIZE, busy)
        corpus = corpus_picker(max_tokens, busy)
        values = hyper_parameters(busy)
        if st.button("Start training", type="primary", icon=":material/play_arrow:",
                     disabled=busy or corpus is None, key="start"):
            start_run(TrainConfig(**values, max_tokens=max_tokens), corpus)


def controls(run) -> None:
    """Pause/Resume, Stop, Step, learning rate — for the presenter only."""
    if not runs.is_owner(run):
        st.info(f"You are watching run `{run.id}` read-only; only the presenter can pause, stop "
                f"or change it.", icon=":material/visibility:")
        if st.button("Stop watching and set up my own run", key="unfollow"):
            runs.unfollow()
            st.rerun()
        return
    allowed = set(run.allowed_commands())
    columns = iter(st.columns([1, 1, 1.2, 1.2, 2, 1], vertical_alignment="bottom"))
    toggle = runs.RESUME if runs.RESUME.name in allowed else runs.PAUSE
    runs.command_button(next(columns), run, allowed, toggle)
    runs.command_button(next(columns), run, allowed, runs.STOP)
    if not presenting():  # a projector gets the two buttons a lecture needs
        runs.command_button(next(columns), run, allowed, runs.STEP_EPOCH)
        runs.command_button(next(columns), run, allowed, runs.STEP_BATCH)
        live_lr(run, allowed, next(columns), next(columns))
    if not runs.is_active(run) and st.button("New run", key="new_run", icon=":material/add:"):
        runs.unfollow()
        st.rerun()


def live_lr(run, allowed: set, input_column, button_column) -> None:
    """Change the learning rate of the running model (from the next batch on)."""
    lr = SETTINGS_BY_FIELD["lr"]
    can_set = "set_lr" in allowed
    new_lr = input_column.number_input("Learning rate (live)", min_value=lr.low,
                                       max_value=lr.high, value=float(run.lr), format="%g",
                                       key=f"live_lr_{run.id}", disabled=not can_set)
    button_column.button("Apply", key="apply_lr", disabled=not can_set or new_lr == run.lr,
                         on_click=runs.send, args=(run, RunControl.set_lr, new_lr))


def live_panel(run) -> None:
    """Curves, progress and samples, refreshed every second while the run can change."""

    @st.fragment(run_every=runs.refresh_interval(run, runs.TRAIN_REFRESH_S))
    def panel():
        runs.registry().heartbeat(run.id)
        reader = runs.records(run)
        progress = run.progress()
        if run.state in (RunState.DIVERGED, RunState.FAILED):
            st.error(run.message)
            if run.traceback:
                with st.expander("Where it failed (traceback)"):
                    st.code(run.traceback, language="text")
        elif run.message:
            st.caption(run.message)
        progress_row(run, progress, reader)
        shared = charts.shared_live_charts(run.id).figures_for(run, reader,
                                                               runs.TRAIN_REFRESH_S)
        left, right = st.columns(2)
        for column, keys in ((left, ("ppl_chart", "loss_chart")),
                             (right, ("speed_chart", "grad_chart"))):
            with column:
                for key in keys:
                    show_chart(shared[key], key=key)
        samples_block(reader)
        downloads(run, reader)

    panel()


def progress_row(run, progress: dict, reader) -> None:
    per_epoch = max(progress["batches_per_epoch"], 1)
    done = (progress["epoch"] + progress["batch_in_epoch"] / per_epoch) / progress["num_epochs"]
    st.progress(min(done, 1.0), text=(
        f"{run.state.value} · epoch {progress['epoch']}/{progress['num_epochs']} · batch "
        f"{progress['batch_in_epoch']}/{per_epoch} · elapsed "
        f"{format_seconds(progress['elapsed_s'])} · ETA {format_seconds(progress['eta_s'])}"))
    speeds = not presenting()  # fewer numbers on a projector: the chart has them
    cols = iter(st.columns((2 if speeds else 1) * len(run.models) + 1))
    for network in run.models:
        name = SHORT_NAMES[network]
        epochs = reader.epochs_of(network)
        last = epochs[-1] if epochs else None
        change = (f"{last['perplexity'] - epochs[-2]['perplexity']:+.2f}"
                  if len(epochs) > 1 else None)
        next(cols).metric(f"Perplexity · {name}", f"{last['perplexity']:.2f}" if last else "–",
                          delta=change, delta_color="inverse")
        if speeds:
            next(cols).metric(f"Tokens/s · {name}",
                              f"{last['tokens_per_second']:,.0f}" if last else "–")
    next(cols).metric("Learning rate", f"{run.lr:g}")


def downloads(run, reader) -> None:
    if presenting():
        return
    left, right = st.columns(2)
    left.download_button("Metrics per epoch (CSV)", file_name=f"gru-{run.id}-epochs.csv",
                         data=lambda: records_csv(list(reader.epochs), EPOCH_COLUMNS),
                         mime="text/csv", on_click="ignore", icon=":material/download:",
                         key="csv_epochs")
    right.download_button("Metrics per batch (CSV)", file_name=f"gru-{run.id}-batches.csv",
                          data=lambda: records_csv(list(reader.batches), BATCH_COLUMNS),
                          mime="text/csv", on_click="ignore", icon=":material/download:",
                          key="csv_batches")


def samples_block(reader) -> None:
    latest = reader.latest_samples()
    if not latest:
        st.caption("The greedy continuation of *time traveller* appears every few epochs.")
        return
    for network, record in latest.items():
        st.markdown(f"**{NETWORK_NAMES[network]}**, epoch {record['epoch']} — greedy "
                    f"continuation of *time traveller*:")
        st.code(record["text"], language=None, wrap_lines=True)


def save_panel(run) -> None:
    """Download the current model as a checkpoint, or keep it in the app's data folder."""
    with st.expander("Save the current model", expanded=not runs.is_active(run)):
        names = list(run.models)
        network = st.radio("Network", names, format_func=NETWORK_NAMES.get,
                           horizontal=True, key="save_net") if len(names) > 1 else names[0]
        st.download_button("Download checkpoint (.pt)", data=lambda: run.checkpoint_bytes(network),
                           file_name=f"gru-{run.id}-{network}.pt",
                           mime="application/octet-stream", on_click="ignore",
                           icon=":material/download:", key="download_ckpt")
        if presenting():
            return
        name = st.text_input("…or save on the server as", value=f"gru-{network}", key="save_name",
                             max_chars=80)
        if st.button("Save on the server", key="save_server"):
            try:
                path = checkpoint_path(name)
                atomic_write_bytes(path, run.checkpoint_bytes(network))
            except (ValueError, OSError) as exc:
                st.error(f"Could not save: {exc}")
            else:
                st.success(f"Saved as `{path.name}` in the app's data folder.")


st.title("Train a GRU")
st.caption("d2l's GRU chapter, live: the same data pipeline, cell, SGD with gradient clipping "
           "and perplexity — trained in a background thread while you watch.")
run = runs.followed_run()
if run is None or runs.is_owner(run):
    setup(run)
if run is not None:
    controls(run)
    live_panel(run)
    save_panel(run)
if not presenting():
    with st.expander("Load a checkpoint", expanded=False):
        checkpoint_loader("train_ckpt_upload")
