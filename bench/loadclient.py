"""One student opening a share link, speaking Streamlit's own protocol (no browser).

What the frontend does on a first page load, and what this client repeats:

1. ``GET /`` (index.html; a reverse proxy may set an affinity cookie here),
   ``GET /_stcore/health`` and ``GET /_stcore/host-config``, keeping the cookies;
2. opens the websocket ``/_stcore/stream`` with the subprotocols
   ``["streamlit", <xsrf token or placeholder>]`` (binary frames only);
3. sends one ``BackMsg(rerun_script=ClientState(query_string=..., page_script_hash="",
   context_info=...))``: the first run of the page, with the link's query string;
4. reads ``ForwardMsg`` protobufs: ``new_session``, ``delta`` (elements, blocks),
   ``page_info_changed``, ``session_status_changed``, ``script_finished`` ...

The session counts as served when a delta's ``new_element`` is the race's stage (the
``optplay_stage`` component's ``stage`` element, ui/stage.py) or a ``plotly_chart`` (a
study, the MLP), and the run then ends with ``script_finished == FINISHED_SUCCESSFULLY``.
Errors are exception elements, ``st.error`` alerts, compile errors, timeouts, refused or
dropped connections.
No cached-message hashes are sent, so the server sends every message in full (a first
visit; a browser's reload may receive references instead).

Streamlit's sources this follows (site-packages/streamlit, 1.67):
web/server/starlette/starlette_websocket.py (handshake, subprotocols, BackMsg parsing),
runtime/app_session.py (rerun requests, new_session / script_finished), and the
frontend bundle's ``sendRerunBackMsg`` / ``connectToWebSocket``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import websockets
from google.protobuf.message import DecodeError
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

#: The frontend's second subprotocol entry when it has no XSRF token to offer.
PLACEHOLDER_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
#: Largest message accepted (the server refuses to send more than its maxMessageSize).
MAX_MESSAGE = 256 * 2**20


@dataclass
class SessionResult:
    """What one session saw; times in seconds from the session's start."""

    query: str
    started: float = 0.0  # time.perf_counter() at the start
    time_to_chart: float | None = None
    time_to_finish: float | None = None
    time_to_socket: float | None = None
    chart_bytes: int = 0
    chart_digest: str = ""  # SHA-1 of the first chart: the same view gives the same one
    bytes_received: int = 0
    messages: int = 0
    spinners: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    upstream: str = ""  # the replica that answered (nginx's X-Upstream header), if any
    compressed: bool = False  # permessage-deflate negotiated on the websocket
    done_reported: bool = field(default=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.time_to_chart is not None and not self.errors


async def http_get(base_url: str, path: str, cookies: SimpleCookie,
                   timeout: float) -> tuple[int, dict[str, list[str]], bytes]:
    """A minimal HTTP/1.1 GET (``Connection: close``); returns status, headers, body."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    prefix = parts.path.rstrip("/")
    header = f"Cookie: {cookie_header(cookies)}\r\n" if cookies else ""
    request = (f"GET {prefix}{path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               f"User-Agent: optplay-loadclient\r\nAccept: */*\r\n{header}"
               "Connection: close\r\n\r\n")

    async def fetch() -> bytes:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(request.encode("latin-1"))
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    raw = await asyncio.wait_for(fetch(), timeout)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    for value in headers.get("set-cookie", []):
        cookies.load(value)
    return status, headers, body


def cookie_header(cookies: SimpleCookie) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


def rerun_message(query: str, url: str) -> bytes:
    """The BackMsg the frontend sends for a first page load of ``url?query``."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_script_hash = ""  # "" = the main page (the server resolves it)
    state.page_name = ""
    state.context_info.timezone = "UTC"
    state.context_info.timezone_offset = 0
    state.context_info.locale = "en-US"
    state.context_info.url = url
    state.context_info.is_embedded = False
    state.context_info.color_scheme = "light"
    return msg.SerializeToString()


def _chart_payload(element, which: str) -> bytes | None:
    """The page's chart, if ``element`` is one: the race stage's message, or a study's
    plotly figure."""
    if which == "plotly_chart":
        return element.plotly_chart.spec.encode()
    if which == "bidi_component":
        stage = element.bidi_component
        if stage.component_name == "optplay_stage" and stage.id.endswith("-stage"):
            return stage.bytes
    return None


def _read(result: SessionResult, msg: ForwardMsg, now: float) -> bool:
    """Record one ForwardMsg; True when the run is over."""
    kind = msg.WhichOneof("type")
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        which = element.WhichOneof("type")
        chart = _chart_payload(element, which)
        if chart is not None:
            if result.time_to_chart is None:
                result.time_to_chart = now
                result.chart_digest = hashlib.sha1(chart).hexdigest()
            result.chart_bytes = max(result.chart_bytes, len(chart))
        elif which == "alert":
            body = element.alert.body
            if element.alert.format == Alert.ERROR:
                result.errors.append(f"st.error: {body[:200]}")
            elif element.alert.format == Alert.WARNING:
                result.warnings.append(body)
        elif which == "exception":
            exc = element.exception
            result.errors.append(f"exception element: {exc.type}: {exc.message[:200]}")
        elif which == "spinner":
            result.spinners.append(element.spinner.text)
    elif kind == "session_event" and msg.session_event.HasField(
            "script_compilation_exception"):
        exc = msg.session_event.script_compilation_exception
        result.errors.append(f"compile error: {exc.type}: {exc.message[:200]}")
    elif kind == "script_finished":
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
            return True
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            result.errors.append("script finished with a compile error")
            return True
        # FINISHED_EARLY_FOR_RERUN: a rerun follows; keep reading.
    elif kind == "ref_hash":  # never asked for (no cached hashes sent)
        result.errors.append("unexpected cached-message reference")
    return False


async def open_link(base_url: str, query: str, *, timeout: float = 60.0,
                    hold: asyncio.Event | None = None, preflight: bool = True,
                    on_done: Callable[[SessionResult], None] | None = None
                    ) -> SessionResult:
    """Open ``base_url?query`` as a first-time visitor and wait for the chart.

    ``on_done`` is called once the run is over (chart or failure). With ``hold``, the
    websocket then stays open (an idle student) until the event is set. Never raises:
    everything that goes wrong is in ``SessionResult.errors``.
    """
    result = await _open_link(base_url, query, timeout, hold, preflight, on_done)
    if on_done is not None and not result.done_reported:
        on_done(result)
    return result


async def _preflight(base: str, cookies: SimpleCookie, deadline: float,
                     result: SessionResult) -> bool:
    """The page's own HTTP requests before its websocket; False (with the error) on a
    failure. Sets the replica that served them (nginx's X-Upstream), if any."""
    for path in ("/", "/_stcore/health", "/_stcore/host-config"):
        status, headers, _ = await http_get(base, path, cookies,
                                            max(deadline - time.perf_counter(), 0.1))
        if status != 200:
            result.errors.append(f"GET {path}: HTTP {status}")
            return False
        result.upstream = result.upstream or ",".join(headers.get("x-upstream", []))
    return True


def _check_affinity(ws, result: SessionResult) -> None:
    """Whether the websocket reached the replica that served the page."""
    headers = ws.response.headers if ws.response else {}
    result.compressed = "permessage-deflate" in headers.get("Sec-WebSocket-Extensions", "")
    socket_upstream = headers.get("X-Upstream", "")
    if result.upstream and socket_upstream and socket_upstream != result.upstream:
        result.errors.append(f"no affinity: page from {result.upstream}, "
                             f"websocket to {socket_upstream}")
    result.upstream = result.upstream or socket_upstream


async def _run_until_chart(ws, query: str, base: str, result: SessionResult,
                           t0: float) -> None:
    """Ask for a run of ``query`` and read the server's messages until it finishes."""
    await ws.send(rerun_message(query, base + "/"))
    while True:
        data = await ws.recv()
        now = time.perf_counter() - t0
        if isinstance(data, str):
            result.errors.append("text frame from the server")
            return
        result.bytes_received += len(data)
        result.messages += 1
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if _read(result, msg, now):
            result.time_to_finish = now
            return


async def _stay_idle(ws, hold: asyncio.Event, result: SessionResult) -> None:
    """An idle student: the socket stays open (the library answers the server's pings)
    and anything the server sends is still read, until ``hold`` is set."""
    idle = asyncio.ensure_future(hold.wait())
    try:
        while not idle.done():
            reader = asyncio.ensure_future(ws.recv())
            await asyncio.wait({idle, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader.done():
                data = reader.result()  # raises ConnectionClosed if dropped
                result.bytes_received += len(data)
            else:
                reader.cancel()
    finally:
        idle.cancel()


async def _session(base: str, query: str, deadline: float, hold: asyncio.Event | None,
                   preflight: bool, on_done: Callable[[SessionResult], None] | None,
                   result: SessionResult) -> None:
    """One student's session, start to end (errors raise; ``_open_link`` words them)."""
    t0 = result.started
    cookies: SimpleCookie = SimpleCookie()
    if preflight and not await _preflight(base, cookies, deadline, result):
        return
    xsrf = cookies["_streamlit_xsrf"].value if "_streamlit_xsrf" in cookies else ""
    ws_url = "ws" + base[len("http"):] + "/_stcore/stream"
    extra = {"Cookie": cookie_header(cookies)} if cookies else {}
    loop = asyncio.get_running_loop()
    remaining = max(deadline - time.perf_counter(), 0.1)
    async with asyncio.timeout_at(loop.time() + remaining) as scope:
        ws = await websockets.connect(
            ws_url, subprotocols=["streamlit", xsrf or PLACEHOLDER_TOKEN],
            additional_headers=extra, max_size=MAX_MESSAGE, ping_interval=None,
            open_timeout=None, close_timeout=2, user_agent_header="optplay-loadclient")
    try:
        result.time_to_socket = time.perf_counter() - t0
        _check_affinity(ws, result)
        async with asyncio.timeout_at(scope.when()):
            await _run_until_chart(ws, query, base, result, t0)
        if result.time_to_chart is None and not result.errors:
            result.errors.append("the run finished without a chart")
        if on_done is not None:
            result.done_reported = True
            on_done(result)
        if hold is not None and result.ok:
            await _stay_idle(ws, hold, result)
    finally:
        await ws.close()


async def _open_link(base_url: str, query: str, timeout: float, hold: asyncio.Event | None,
                     preflight: bool, on_done: Callable[[SessionResult], None] | None
                     ) -> SessionResult:
    result = SessionResult(query=query, started=time.perf_counter())
    try:
        await _session(base_url.rstrip("/"), query, result.started + timeout, hold,
                       preflight, on_done, result)
    except TimeoutError:
        result.errors.append(f"timeout after {timeout:g} s "
                             f"({'chart seen' if result.time_to_chart else 'no chart'})")
    except websockets.ConnectionClosed as err:
        result.errors.append(f"disconnected: {err}")
    except (OSError, websockets.InvalidHandshake, websockets.InvalidURI) as err:
        result.errors.append(f"connection failed: {type(err).__name__}: {err}")
    except (ValueError, IndexError, EOFError, DecodeError) as err:  # malformed HTTP/protobuf
        result.errors.append(f"bad reply: {type(err).__name__}: {err}")
    return result

