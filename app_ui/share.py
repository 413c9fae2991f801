"""The share panel: an address students can reach, as large text and a large
QR code (segno, pure Python; a PNG, which every page element shows)."""
from __future__ import annotations

import io
import ipaddress
from dataclasses import dataclass

import segno
import streamlit as st
from streamlit import config as st_config
from streamlit import net_util


@dataclass(frozen=True)
class ShareAddress:
    url: str
    reachable: bool    # False: only this computer can open it
    note: str          # how the address was chosen, or what to do


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "")


def share_address(path: str = "/", query: str = "") -> ShareAddress:
    """Streamlit's ``browser.serverAddress`` / ``server.address`` when set, else
    this machine's LAN address (as Streamlit's own "Network URL" finds it)."""
    port = st.get_option("browser.serverPort") or st.get_option("server.port")
    bound = st.get_option("server.address") or ""
    suffix = path + (f"?{query}" if query else "")
    if st_config.is_manually_set("browser.serverAddress"):
        host = st.get_option("browser.serverAddress")
        return ShareAddress(f"http://{host}:{port}{suffix}", not _is_loopback(host),
                            "the address set in browser.serverAddress")
    if bound and bound not in ("0.0.0.0", "::"):
        if _is_loopback(bound):
            return ShareAddress(f"http://{bound}:{port}{suffix}", False,
                                f"This server listens on {bound} only: students cannot reach "
                                f"it. Start it with --server.address 0.0.0.0 (on the lecture "
                                f"hall's network) to share it.")
        return ShareAddress(f"http://{bound}:{port}{suffix}", True, "the address set in "
                            "server.address")
    lan = net_util.get_internal_ip() or "127.0.0.1"
    if _is_loopback(lan):
        return ShareAddress(f"http://localhost:{port}{suffix}", False,
                            "This computer has no network address other than loopback: only "
                            "it can open this link. Join the lecture hall's network first.")
    return ShareAddress(f"http://{lan}:{port}{suffix}", True,
                        "this computer's address on its local network")


@st.cache_data(show_spinner=False, max_entries=16)   # every viewer's sidebar draws the same one
def qr_png(url: str, scale: int = 8) -> bytes:
    """The URL as a PNG QR code (medium error correction, a quiet zone of 2)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def share_panel(address: ShareAddress, presenting: bool, title: str = "Follow along") -> None:
    """The link in large text and as a QR code; a plain warning when students
    cannot reach it."""
    text = "2.4rem" if presenting else "1.35rem"
    st.markdown(f"**{title}**")
    st.html(f'<div style="font-size:{text};font-weight:600;word-break:break-all">'
            f'{address.url}</div>')
    st.image(qr_png(address.url, 16 if presenting else 8), width=420 if presenting else 200,
             caption=None)
    if address.reachable:
        st.caption(f"Open this on a laptop or phone on the same network ({address.note}).")
    else:
        st.warning(address.note, icon=":material/wifi_off:")
