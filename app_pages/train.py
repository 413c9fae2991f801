"""Train: pick a corpus and d2l's hyper-parameters, start a run in the
background, steer it (pause, step, change lr) and watch it learn live."""
import streamlit as st
import torch

from app_pages import charts, common
from gru_core.data import atomic_write_bytes
from gru_core.live import RunError
from gru_core.storage import checkpoint_path
from gru_core.training import LIMITS, TrainConfig

MODEL_CHOICES = {"scratch": "From scratch (d2l's cell)", "concise": "nn.GRU",
                 "both": "Both, in lockstep"}
CORPUS_CHOICES = {"timemachine": "The Time Machine (d2l)", "upload": "Your own text file",
                  "generated": "Generated offline corpus"}


def number(label: str, field: str, default, key: str, **kwargs):
    """A number input bounded by the library's LIMITS, bound to the URL."""
    low, high = LIMITS[field]
    cast = type(default)
    return st.number_input(label, min_value=cast(low), max_value=cast(high), value=default,
                           key=key, bind="query-params", persist_state="session", **kwargs)


def corpus_picker(max_tokens: int, disabled: bool):
    """The corpus radio; returns a Corpus, or None after explaining why."""
    choice = st.radio("Corpus", list(CORPUS_CHOICES), format_func=CORPUS_CHOICES.get,
                      key="corpus", horizontal=True, disabled=disabled,
                      bind="query-params", persist_state="session")
    if choice == "timemachine":
        corpus, problem = common.time_machine(max_tokens)
        if problem:
            st.error(f"The Time Machine is not available: {problem}")
            st.info("Choose *Your own text file* or *Generated offline corpus* above, or fix "
                    "the problem and retry.")
            if st.button("Retry loading The Time Machine"):
                common.whole_book.clear()
                st.rerun()
            return None
    elif choice == "generated":
        corpus = common.generated_corpus(max_tokens)
    else:
        corpus = uploaded_text(max_tokens, disabled)
    if corpus is not None:
        st.caption(common.describe_corpus(corpus))
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
    payload = upload.getvalue()
    corpus, problem = common.uploaded_corpus(common.sha256(payload), payload, upload.name,
                                             max_tokens, keep_case)
    if problem:
        st.error(problem)
    return corpus


def hyper_parameters(disabled: bool) -> TrainConfig:
    defaults = TrainConfig()
    model = st.radio("Model", list(MODEL_CHOICES), format_func=MODEL_CHOICES.get, key="model",
                     horizontal=True, disabled=disabled, bind="query-params",
                     persist_state="session")
    left, middle, right = st.columns(3)
    with left:
        hiddens = number("Hidden units", "num_hiddens", defaults.num_hiddens, "hiddens",
                         step=16, disabled=disabled)
        batch = number("Batch size", "batch_size", defaults.batch_size, "batch", disabled=disabled)
        steps = number("Time steps", "num_steps", defaults.num_steps, "steps", disabled=disabled)
    with middle:
        lr = number("Learning rate", "lr", float(defaults.lr), "lr", step=0.1, format="%g",
                    disabled=disabled)
        epochs = number("Epochs", "num_epochs", defaults.num_epochs, "epochs", step=50,
                        disabled=disabled)
        clip = number("Gradient clip θ", "clip_theta", float(defaults.clip_theta), "clip",
                      step=0.5, format="%g", disabled=disabled)
    with right:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        device = st.selectbox("Device", devices, key="device", disabled=disabled,
                              bind="query-params", persist_state="session",
                              help="cuda appears when PyTorch sees a GPU.")
        seed = st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, key="seed",
                               disabled=disabled, bind="query-params", persist_state="session")
        random_iter = st.toggle("Random sampling", key="random_iter", disabled=disabled,
                                bind="query-params", persist_state="session",
                                help="d2l's default here is sequential partitioning.")
    return TrainConfig(model=model, num_hiddens=int(hiddens), batch_size=int(batch),
                       num_steps=int(steps), lr=float(lr), num_epochs=int(epochs),
                       clip_theta=float(clip), use_random_iter=random_iter, device=device,
                       seed=int(seed))


def start_run(config: TrainConfig, corpus) -> None:
    try:
        config.validate()
        run = common.registry().create(config, corpus, name=corpus.name)
        common.registry().start(run.id, run.owner_token)
    except (RunError, ValueError) as exc:  # CorpusError is a ValueError too
        st.error(f"Could not start: {exc}")
        return
    common.follow(run, run.owner_token)
    st.rerun()


def setup(run) -> None:
    """Corpus + model + hyper-parameters + Start; locked while this session's run is active."""
    busy = common.is_active(run)
    with st.expander("Set up a run", expanded=not busy):
        if busy:
            st.caption("Stop the current run to set up a new one.")
        max_tokens = number("Characters of the corpus to use", "max_tokens", 10000, "max_tokens",
                            step=1000, disabled=busy)
        corpus = corpus_picker(int(max_tokens), busy)
        config = hyper_parameters(busy)
        config.max_tokens = int(max_tokens)
        if st.button("Start training", type="primary", icon=":material/play_arrow:",
                     disabled=busy or corpus is None, key="start"):
            start_run(config, corpus)


COMMAND_BUTTONS = {  # command -> (label, icon, help)
    "pause": ("Pause", ":material/pause:", "Pause before the next batch."),
    "resume": ("Resume", ":material/play_arrow:", None),
    "stop": ("Stop", ":material/stop:", "End the run; its model stays inspectable and savable."),
    "step_epoch": ("Step epoch", ":material/skip_next:",
                   "While paused: train one more epoch, then pause again."),
    "step_batch": ("Step batch", ":material/redo:",
                   "While paused: train one more batch, then pause again."),
}


def command_button(column, run, allowed: set, command: str) -> None:
    label, icon, help_text = COMMAND_BUTTONS[command]
    column.button(label, icon=icon, key=command, help=help_text,
                  type="primary" if command == "resume" else "secondary",
                  disabled=command not in allowed, on_click=common.control, args=(run, command))


def controls(run) -> None:
    """Pause/Resume, Stop, Step, learning rate — for the presenter only."""
    if not common.is_owner(run):
        st.info(f"You are watching run `{run.id}` read-only; only the presenter can pause, stop "
                f"or change it.", icon=":material/visibility:")
        if st.button("Stop watching and set up my own run", key="unfollow"):
            common.unfollow()
            st.rerun()
        return
    allowed = set(run.allowed_commands())
    columns = iter(st.columns([1, 1, 1.2, 1.2, 2, 1], vertical_alignment="bottom"))
    command_button(next(columns), run, allowed, "resume" if "resume" in allowed else "pause")
    command_button(next(columns), run, allowed, "stop")
    if not common.presenting():  # a projector gets the two buttons a lecture needs
        command_button(next(columns), run, allowed, "step_epoch")
        command_button(next(columns), run, allowed, "step_batch")
        live_lr(run, allowed, next(columns), next(columns))
    if not common.is_active(run) and st.button("New run", key="new_run", icon=":material/add:"):
        common.unfollow()
        st.rerun()


def live_lr(run, allowed: set, input_column, button_column) -> None:
    """Change the learning rate of the running model (from the next batch on)."""
    low, high = LIMITS["lr"]
    new_lr = input_column.number_input("Learning rate (live)", min_value=low, max_value=high,
                                       value=float(run.lr), format="%g", key=f"live_lr_{run.id}",
                                       disabled="set_lr" not in allowed)
    button_column.button("Apply", key="apply_lr",
                         disabled="set_lr" not in allowed or new_lr == run.lr,
                         on_click=common.control, args=(run, "set_lr"), kwargs={"lr": new_lr})


def live_panel(run) -> None:
    """Curves, progress and samples, refreshed every second while the run can change."""

    @st.fragment(run_every=common.refresh_interval(run, common.TRAIN_REFRESH_S))
    def panel():
        common.registry().heartbeat(run.id)
        metrics = common.run_metrics(run)
        progress = run.progress()
        state = common.state_of(run)
        if state in ("diverged", "failed"):
            st.error(run.message)
        elif run.message:
            st.caption(run.message)
        progress_row(run, progress, metrics)
        shared = charts.shared_live_charts(run.id).figures_for(run, metrics,
                                                               common.TRAIN_REFRESH_S)
        left, right = st.columns(2)
        for column, keys in ((left, ("ppl_chart", "loss_chart")),
                             (right, ("speed_chart", "grad_chart"))):
            with column:
                for key in keys:
                    common.show_chart(shared[key], key=key)
        samples_block(metrics)
        downloads(run, metrics)

    panel()


def progress_row(run, progress: dict, metrics) -> None:
    per_epoch = max(progress["batches_per_epoch"], 1)
    done = (progress["epoch"] + progress["batch_in_epoch"] / per_epoch) / progress["num_epochs"]
    st.progress(min(done, 1.0), text=(
        f"{common.state_of(run)} · epoch {progress['epoch']}/{progress['num_epochs']} · batch "
        f"{progress['batch_in_epoch']}/{per_epoch} · elapsed "
        f"{common.format_seconds(progress['elapsed_s'])} · ETA "
        f"{common.format_seconds(progress['eta_s'])}"))
    speeds = not common.presenting()  # fewer numbers on a projector: the chart has them
    cols = iter(st.columns((2 if speeds else 1) * len(run.models) + 1))
    for model in run.models:
        name = common.SHORT_NAMES[model]
        records = metrics.epochs_of(model)
        last = records[-1] if records else None
        change = (f"{last['perplexity'] - records[-2]['perplexity']:+.2f}"
                  if len(records) > 1 else None)
        next(cols).metric(f"Perplexity · {name}", f"{last['perplexity']:.2f}" if last else "–",
                          delta=change, delta_color="inverse")
        if speeds:
            next(cols).metric(f"Tokens/s · {name}",
                              f"{last['tokens_per_second']:,.0f}" if last else "–")
    next(cols).metric("Learning rate", f"{run.lr:g}")


EPOCH_COLUMNS = ["epoch", "model", "perplexity", "tokens_per_second", "seconds", "elapsed_s"]
BATCH_COLUMNS = ["step", "epoch", "model", "loss", "grad_norm", "clipped", "lr"]


def downloads(run, metrics) -> None:
    if common.presenting():
        return
    left, right = st.columns(2)
    left.download_button("Metrics per epoch (CSV)", file_name=f"gru-{run.id}-epochs.csv",
                         data=lambda: common.records_csv(list(metrics.epochs), EPOCH_COLUMNS),
                         mime="text/csv", on_click="ignore", icon=":material/download:",
                         key="csv_epochs")
    right.download_button("Metrics per batch (CSV)", file_name=f"gru-{run.id}-batches.csv",
                          data=lambda: common.records_csv(list(metrics.batches), BATCH_COLUMNS),
                          mime="text/csv", on_click="ignore", icon=":material/download:",
                          key="csv_batches")


def samples_block(metrics) -> None:
    latest = metrics.latest_samples()
    if not latest:
        st.caption("The greedy continuation of *time traveller* appears every few epochs.")
        return
    for model, record in latest.items():
        st.markdown(f"**{common.NETWORK_NAMES[model]}**, epoch {record['epoch']} — greedy "
                    f"continuation of *time traveller*:")
        st.code(record["text"], language=None, wrap_lines=True)


def save_panel(run) -> None:
    """Download the current model as a checkpoint, or keep it in the app's data folder."""
    with st.expander("Save the current model", expanded=not common.is_active(run)):
        names = list(run.models)
        network = st.radio("Network", names, format_func=common.NETWORK_NAMES.get,
                           horizontal=True, key="save_net") if len(names) > 1 else names[0]
        st.download_button("Download checkpoint (.pt)", data=lambda: run.checkpoint_bytes(network),
                           file_name=f"gru-{run.id}-{network}.pt",
                           mime="application/octet-stream", on_click="ignore",
                           icon=":material/download:", key="download_ckpt")
        if common.presenting():
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
run = common.followed_run()
if run is None or common.is_owner(run):
    setup(run)
if run is not None:
    controls(run)
    live_panel(run)
    save_panel(run)
if not common.presenting():
    with st.expander("Load a checkpoint", expanded=False):
        common.checkpoint_loader("train_ckpt_upload")
