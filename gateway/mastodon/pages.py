"""The OAuth login-and-consent page and the out-of-band code page (pure HTML; every value
escaped)."""
from __future__ import annotations

import html
from typing import Mapping

# What the page carries from the authorization request into its form, unchanged.
CARRIED = ("client_id", "redirect_uri", "scope", "state", "response_type", "code_challenge", "code_challenge_method")

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}"
          "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}"
          "button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00}code{word-break:break-all}")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
            f"content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")


def consent(params: Mapping[str, str], app_name: str, scopes: list[str], error: str | None = None) -> str:
    hidden = "".join(f'<input type=hidden name="{name}" value="{html.escape(params.get(name) or "")}">'
                     for name in CARRIED if params.get(name))
    scope_list = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    problem = f'<p class=error role=alert>{html.escape(error)}</p>' if error else ""
    return _page("Authorize " + app_name, f"""
<h1>Sign in to Raygram</h1>
<p><strong>{html.escape(app_name)}</strong> asks to use your account with these permissions:</p>
<ul>{scope_list}</ul>{problem}
<form method=post action="/oauth/authorize">{hidden}
<label for=username>Username</label><input id=username name=username autocomplete=username required>
<label for=password>Password</label>
<input id=password name=password type=password autocomplete=current-password required>
<button type=submit name=decision value=approve>Authorize</button>
</form>""")


def refused(message: str) -> str:
    return _page("Authorization failed", f"<h1>Authorization failed</h1><p class=error>{html.escape(message)}</p>")


def out_of_band(code: str) -> str:
    return _page("Authorization code", f"""
<h1>Authorization code</h1><p>Copy this code and paste it into the application.</p>
<p><input id=authorization_code readonly value="{html.escape(code)}"></p>""")
