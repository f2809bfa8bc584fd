"""Small helpers every view uses: render a page or, for htmx, one named block of it."""

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def render(template: str, block: str | None = None, **context):
    """Render ``template``; an htmx request (not a boosted page load) gets only ``block``."""
    if block and request.htmx and not request.htmx.boosted:
        response = make_response(render_block(template, block, **context))
    else:
        response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def client_ip() -> str:
    return request.remote_addr or ""
