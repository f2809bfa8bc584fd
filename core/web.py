"""Small helpers every view uses: render a page or, for htmx, one named block of it."""

from flask import current_app, has_request_context, make_response, render_template, request, url_for
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


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mail (IS2IN_BASE_URL + the route), also from the CLI or a task."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        # The URL map itself, not a stand-in request: popping one runs the teardown_request hooks, which
        # close a PostgreSQL connection, and fail inside a CLI command's or a job's open transaction.
        path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["BASE_URL"] + path
