"""Train: pick a corpus and d2l's hyper-parameters, start a run in the
background, steer it (pause, step, change lr) and watch it learn live. The
curves, progress and gates arrive through the live view's socket; the page
script runs only when someone clicks."""
import streamlit as st
import torch

from app_ui import corpora, runs
from app_ui.checkpoints import checkpoint_loader
from app_ui.display import NETWORK_NAMES, presenting
from app_ui.lecture import is_presenter, lecture_mode, may_control, owner
from app_ui.live_view import live_view
from app_ui.share import share_address, share_panel
from gru_core import engine
from gru_core.config import D2L, SETTINGS, SETTINGS_BY_FIELD, TrainConfig
from gru_core.models import CONCISE_INITS
from gru_core.data import CORPUS_SOURCES, atomic_write_bytes
from gru_core.exports import records_csv
from gru_core.runs import RunControl, RunError, RunState
from gru_core.storage import checkpoint_path

UPLOAD = "upload"
CORPUS_CHOICES = CORPUS_SOURCES | {UPLOAD: "Your own text file"}
CORPUS_SIZE = SETTINGS_BY_FIELD["max_tokens"]   # asked first: the corpus picker needs it
EPOCH_COLUMNS = ["epoch", "model", "perplexity", "tokens_per_second", "seconds", "elapsed_s"]
BATCH_COLUMNS = ["step", "epoch", "model", "loss", "grad_norm", "clipped", "lr"]
LR_CARRIED = "lr_carried_from"   # session_state: the ended run whose lr the setup took


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
    fold = st.checkbox("Fold accents (é → e)", key="fold_accents", disabled=disabled or keep_case,
                       persist_state="session",
                       help="d2l's clean-up keeps the letters a to z: without folding, é, ü "
                            "and ç are dropped like punctuation.")
    upload = st.file_uploader("Text file (UTF-8)", type=["txt", "md", "csv", "text"],
                              key="corpus_upload", disabled=disabled)
    if upload is None:
        st.info("Upload a plain-text file to train on it.")
        return None
    if not may_control("upload a text"):
        return None
    corpus, problem = corpora.uploaded_corpus(upload.getvalue(), upload.name, max_tokens,
                                              keep_case, fold and not keep_case)
    if problem:
        st.error(problem)
    elif (dropped := corpora.describe_dropped(corpus)) is not None:
        st.caption(dropped)
    return corpus


def hyper_parameters(disabled: bool) -> dict:
    """The model radio and one widget per hyper-parameter of SETTINGS (the
    corpus size is asked before the corpus); TrainConfig keyword arguments."""
    model = st.radio("Model", list(runs.MODEL_CHOICES), format_func=runs.MODEL_CHOICES.get,
                     key="model", horizontal=True, disabled=disabled, bind="query-params",
                     persist_state="session")
    concise_init = st.radio(
        "nn.GRU starts from", list(CONCISE_INITS), format_func=runs.CONCISE_STARTS.get,
        key="concise_init", horizontal=True, disabled=disabled or model == "scratch",
        bind="query-params", persist_state="session",
        help="d2l's weights: nn.GRU begins from exactly the from-scratch GRU's initial "
             "numbers (same seed), so in lockstep the curves differ by the formulation alone "
             "(reset before or after the matmul).")
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
    return values | {"model": model, "device": device, "use_random_iter": random_iter,
                     "concise_init": concise_init}


def start_run(config: TrainConfig, corpus) -> None:
    if not may_control("start a run"):
        return
    try:
        control = runs.registry().create(config.validate(), corpus, owner=owner(),
                                         name=corpus.name)
    except ValueError as exc:  # RunError and CorpusError are ValueErrors too
        st.error(f"Could not start: {exc}")
        return
    runs.launch(control)


def carry_lr(run) -> None:
    """Once per ended run: its last learning rate (changed live, perhaps)
    becomes the setup's, so a new run goes on from where this one was."""
    if run is not None and not runs.is_active(run) and st.session_state.get(LR_CARRIED) != run.id:
        st.session_state[LR_CARRIED] = run.id
        st.session_state[SETTINGS_BY_FIELD["lr"].url_key] = float(run.lr)


def setup(run) -> None:
    """Corpus + model + hyper-parameters + Start; locked while this session's
    run is active, and folded away while a run is shown (open it to start another)."""
    busy = runs.is_active(run)
    carry_lr(run)
    with st.expander("Set up a run", expanded=run is None):
        if busy:
            st.caption("Stop the current run to set up a new one.")
        elif run is not None:
            st.caption(f"The run below has ended. A new run starts from these settings; the "
                       f"learning rate is the run's last ({run.lr:g}).")
        max_tokens = setting_input(CORPUS_SIZE, busy)
        corpus = corpus_picker(max_tokens, busy)
        values = hyper_parameters(busy)
        if st.button("Start training", type="primary", icon=":material/play_arrow:",
                     disabled=busy or corpus is None, key="start"):
            start_run(TrainConfig(**values, max_tokens=max_tokens), corpus)


def controls(run) -> None:
    """Pause/Resume, Stop, Step, learning rate — for the run's owner only."""
    if not runs.is_owner(run):
        who = "the presenter" if lecture_mode() else "its owner"
        st.info(f"You are watching run `{run.id}` read-only; only {who} can pause, stop or "
                f"change it.", icon=":material/visibility:")
        if not lecture_mode() and st.button("Stop watching and set up my own run",
                                            key="unfollow"):
            runs.unfollow()
            st.rerun()
        return
    allowed = set(run.allowed_commands())
    columns = iter(st.columns([1, 1, 1.2, 1.2, 2, 1], vertical_alignment="bottom"))
    toggle = runs.RESUME if runs.RESUME.name in allowed else runs.PAUSE
    runs.command_button(next(columns), run, allowed, toggle)
    runs.command_button(next(columns), run, allowed, runs.STOP)
    if not presenting():  # a projector gets the two buttons a lecture needs
        step_epoch_button(next(columns), run, allowed)
        runs.command_button(next(columns), run, allowed, runs.STEP_BATCH)
        live_lr(run, allowed, next(columns), next(columns))
    if not runs.is_active(run) and st.button("New run", key="new_run", icon=":material/add:"):
        runs.unfollow()
        st.rerun()


def step_epoch_button(column, run, allowed: set) -> None:
    """Step epoch, or mid-epoch "Finish epoch": it trains to the end of the
    current epoch, and says so (its help, then a toast)."""
    progress = run.progress()
    done, per_epoch = progress["batch_in_epoch"], progress["batches_per_epoch"]
    epoch, left = progress["epoch"] + 1, per_epoch - progress["batch_in_epoch"]
    if done:
        label = "Finish epoch"
        help = (f"While paused: train the {left} batches left of epoch {epoch} ({done} of "
                f"{per_epoch} done), then pause again.")
    else:
        label = "Step epoch"
        help = f"While paused: train epoch {epoch} ({per_epoch} batches), then pause again."
    column.button(label, icon=runs.STEP_EPOCH.icon, key=runs.STEP_EPOCH.name, help=help,
                  disabled=runs.STEP_EPOCH.name not in allowed, on_click=step_epoch,
                  args=(run, epoch, left, bool(done)))


def step_epoch(run, epoch: int, batches: int, finishing: bool) -> None:
    if runs.send(run, runs.STEP_EPOCH.action):
        what = f"the last {batches} batches of epoch {epoch}" if finishing else \
            f"epoch {epoch} ({batches} batches)"
        st.toast(f"Training {what}, then pausing again.", icon=":material/skip_next:")


def live_lr(run, allowed: set, input_column, button_column) -> None:
    """Change the learning rate of the running model (from the next batch on)."""
    lr = SETTINGS_BY_FIELD["lr"]
    can_set = "set_lr" in allowed
    new_lr = input_column.number_input("Learning rate (live)", min_value=lr.low,
                                       max_value=lr.high, value=float(run.lr), format="%g",
                                       key=f"live_lr_{run.id}", disabled=not can_set)
    button_column.button("Apply", key="apply_lr", disabled=not can_set or new_lr == run.lr,
                         on_click=runs.send, args=(run, RunControl.set_lr, new_lr))


def live_panel(run, owned: bool) -> None:
    """What went wrong (if anything), then the live view: curves, progress,
    samples and gates, pushed to this browser as the run trains."""
    if run.state in (RunState.DIVERGED, RunState.FAILED):
        st.error(run.message)
        if run.traceback:
            with st.expander("Where it failed (traceback)"):
                st.code(run.traceback, language="text")
    live_view(run.id, present=presenting(), rerun_on_state=owned, key="train_live")
    downloads(run, runs.records(run))
    if not presenting():
        with st.expander("How this run trains (engine)"):
            st.caption(f"{run.cores_summary()} {engine.kernel_summary()}")


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
        name = st.text_input("…or save on the server as", value=f"gru-{run.id}-{network}",
                             key="save_name", max_chars=80)
        replace = st.checkbox("Replace a checkpoint of that name", key="save_replace",
                              disabled=not runs.is_owner(run),
                              help="Only the run's owner may replace a file on the server.")
        if st.button("Save on the server", key="save_server") and may_control("save on the server"):
            save_on_server(run, network, name, replace and runs.is_owner(run))


def save_on_server(run, network: str, name: str, replace: bool) -> None:
    """Write the checkpoint into the data folder; never over an existing file
    unless the run's owner asked to replace it."""
    try:
        path = checkpoint_path(name)
        if path.exists() and not replace:
            st.error(f"A checkpoint named `{path.name}` is already on the server; it was kept. "
                     f"Choose another name" + (", or tick *Replace*." if runs.is_owner(run)
                                                else "."))
            return
        atomic_write_bytes(path, run.checkpoint_bytes(network))
    except (ValueError, OSError) as exc:
        st.error(f"Could not save: {exc}")
    else:
        st.success(f"Saved as `{path.name}` in the app's data folder.")


def recent_runs() -> None:
    """This browser's runs that were saved and released (reaped, or from before
    a restart): reopen one where it stopped."""
    saved = runs.registry().saved_runs(owner() or "")
    if not saved:
        return
    with st.expander(f"Your recent runs ({len(saved)})", expanded=False):
        for summary in saved[:10]:
            left, right = st.columns([4, 1], vertical_alignment="center")
            ppl = summary.get("perplexity")
            left.markdown(f"`{summary['id']}` · {summary['name']} · epoch {summary['epoch']}/"
                          f"{summary['num_epochs']} · {summary['state']}"
                          + (f" · perplexity {ppl:.2f}" if ppl else ""))
            if right.button("Reopen", key=f"reopen_{summary['id']}"):
                try:
                    runs.follow(runs.registry().reopen(summary["id"], owner() or ""))
                except RunError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()


st.title("Train a GRU")
st.caption("d2l's GRU chapter, live: the same data pipeline, cell, SGD with gradient clipping "
           "and perplexity — trained in a background thread while you watch.")
run = runs.followed_run()
if run is None and not lecture_mode():
    st.page_link("app_pages/start.py", label="New here? Start here", icon=":material/school:",
                 help="What the gates do, in three screens, on a trained model's numbers.")
owned = runs.is_owner(run)
may_set_up = not lecture_mode() or is_presenter()
if may_set_up and (run is None or owned):
    setup(run)
if run is None and lecture_mode():
    live_view("lecture", present=presenting(), key="train_live")  # "waiting", then the run
if run is not None:
    controls(run)
    live_panel(run, owned)
    if may_set_up:
        save_panel(run)
if lecture_mode() and may_set_up and presenting():
    share_panel(share_address(), True, "Students: open this page")
if not presenting() and may_set_up:
    recent_runs()
    with st.expander("Load a checkpoint", expanded=False):
        checkpoint_loader("train_ckpt_upload")
