"""Request body parsing without python-multipart (not installed here).

Telegram clients send parameters as JSON, urlencoded forms or multipart forms (PTB uses the last
two), the AceData upload is multipart. This module turns any of them into plain fields plus the
uploaded file parts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request


@dataclass
class FormPart:
    """One multipart part that carried a filename (an uploaded file)."""

    name: str
    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        """What call logs show instead of the bytes."""
        return {"filename": self.filename, "size": len(self.data)}


def _header_params(value: str) -> Message:
    message = Message()
    message["content-type"] = value
    return message


def _split_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, FormPart]]:
    """Split a multipart/form-data body into text fields and file parts."""
    boundary = _header_params(content_type).get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart body without boundary")
    fields: dict[str, str] = {}
    files: dict[str, FormPart] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = _split_headers(head)
        disposition = Message()
        disposition["content-disposition"] = headers.get("content-disposition", "")
        name = disposition.get_param("name", header="content-disposition")
        filename = disposition.get_filename()
        if not isinstance(name, str):
            continue
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            ctype = headers.get("content-type", "application/octet-stream")
            files[name] = FormPart(name, filename, ctype, data)
    return fields, files


async def parse_request(request: Request) -> tuple[dict[str, Any], dict[str, FormPart]]:
    """Query string merged with a JSON / urlencoded / multipart body."""
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, FormPart] = {}
    body = await request.body()
    ctype = request.headers.get("content-type", "")
    if not body:
        return params, files
    if ctype.startswith("multipart/form-data"):
        fields, files = parse_multipart(body, ctype)
        params.update(fields)
    elif ctype.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    else:  # JSON (Telegram also accepts it without the header)
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    return params, files
