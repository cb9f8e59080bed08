"""The HTTP client of ``kapstan server``'s Argo CD API, for the CLI.

Contract of :class:`ApiClient`: requests go to ``base_url`` with the bearer token (when one
is set) and the extra headers; JSON in, JSON out. An answer of 400 or more raises
:class:`ApiCallError` carrying the HTTP status, grpc-gateway's ``code`` and ``message``, and a
hint of what to do (log in again, check the flag); a transport failure raises it with status
0 and what failed (refused, TLS, time-out). :meth:`ApiClient.stream` yields the ``result`` of
each newline-delimited frame of a watch until the server closes it or ``timeout`` passes with
nothing. ``transport`` (an ``httpx2`` transport) lets tests run commands against an app in
process. Tokens never appear in errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

DEFAULT_TIMEOUT = 60.0
UNAUTHENTICATED = 16


class ApiCallError(RuntimeError):
    """A refused or failed API call (see the module contract)."""

    def __init__(self, message: str, *, status: int = 0, code: int = 0, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.hint = hint

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.message}{where}{hint}"


def base_url(server: str, *, plaintext: bool) -> str:
    """``host:port`` as Argo CD's ``--server`` takes it (or a full URL) → the base URL."""
    server = server.strip().rstrip("/")
    if server.startswith(("http://", "https://")):
        return server
    return f"{'http' if plaintext else 'https'}://{server}"


@dataclass
class ApiClient:
    """See the module contract."""

    server: str
    token: str = ""
    insecure: bool = False
    plaintext: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    transport: httpx2.BaseTransport | None = None
    _http: httpx2.Client | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return base_url(self.server, plaintext=self.plaintext)

    def _client(self) -> httpx2.Client:
        if self._http is None:
            headers = dict(self.headers)
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            options: dict[str, Any] = {}
            if self.transport is not None:
                options["transport"] = self.transport
            self._http = httpx2.Client(
                base_url=self.base_url,
                headers=headers,
                verify=not self.insecure,
                timeout=self.timeout,
                **options,
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- calls ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """One call; the decoded JSON answer (``{}`` when empty)."""
        try:
            answer = self._client().request(
                method, path, params=_params(params), json=body if body is not None else None
            )
        except httpx2.HTTPError as err:
            raise self._transport_error(err) from None
        if answer.status_code >= 400:
            raise _refusal(answer)
        if not answer.content:
            return {}
        try:
            return answer.json()
        except ValueError:
            return answer.text

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def upload(
        self, path: str, content: bytes, content_type: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        """``POST`` of raw ``content`` (an archive); the decoded JSON answer."""
        try:
            answer = self._client().post(
                path, params=_params(params), content=content,
                headers={"Content-Type": content_type},
            )  # fmt: skip
        except httpx2.HTTPError as err:
            raise self._transport_error(err) from None
        if answer.status_code >= 400:
            raise _refusal(answer)
        return answer.json() if answer.content else {}

    def text(self, path: str, **params: Any) -> str:
        """A non-JSON answer (an SVG, a log as text)."""
        try:
            answer = self._client().get(path, params=_params(params))
        except httpx2.HTTPError as err:
            raise self._transport_error(err) from None
        if answer.status_code >= 400:
            raise _refusal(answer)
        return answer.text

    def stream(
        self, path: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> Iterator[Any]:
        """The ``result`` of every frame of a newline-delimited stream (see the contract)."""
        limits = httpx2.Timeout(self.timeout, read=timeout)
        try:
            with self._client().stream(
                "GET", path, params=_params(params), timeout=limits
            ) as answer:
                if answer.status_code >= 400:
                    answer.read()
                    raise _refusal(answer)
                for line in answer.iter_lines():
                    if not line.strip():
                        continue
                    frame = json.loads(line)
                    if isinstance(frame, dict) and "error" in frame and "result" not in frame:
                        error = frame["error"] if isinstance(frame["error"], dict) else frame
                        raise ApiCallError(
                            str(error.get("message") or error), code=int(error.get("code") or 0)
                        )
                    yield frame.get("result") if isinstance(frame, dict) else frame
        except httpx2.ReadTimeout:
            return
        except httpx2.HTTPError as err:
            raise self._transport_error(err) from None

    def _transport_error(self, err: httpx2.HTTPError) -> ApiCallError:
        reason = type(err).__name__
        hint = ""
        text = str(err)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
            reason = "the server's TLS certificate is not trusted"
            hint = "pass --insecure to skip verification (or --plaintext for an HTTP server)"
        elif isinstance(err, httpx2.ConnectError):
            reason = "cannot connect"
            hint = "is kapstan server running there? (--plaintext for a server run with --insecure)"
        elif isinstance(err, httpx2.TimeoutException):
            reason = "timed out"
        return ApiCallError(f"{self.base_url}: {reason}", hint=hint)


def _params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value in ("", []):
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = value
    return out or None


def _refusal(answer: httpx2.Response) -> ApiCallError:
    message, code = answer.reason_phrase or "error", 0
    try:
        data = answer.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = str(data.get("message") or data.get("error") or message)
        raw = data.get("code")
        code = raw if isinstance(raw, int) else 0
    elif answer.text.strip():
        message = answer.text.strip().splitlines()[0][:300]
    hint = ""
    if answer.status_code == 401 or code == UNAUTHENTICATED:
        hint = "log in again: kapstan login SERVER (or pass --auth-token)"
    return ApiCallError(message, status=answer.status_code, code=code, hint=hint)


__all__ = ["ApiCallError", "ApiClient", "base_url"]
