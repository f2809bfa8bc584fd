"""Small helpers every view uses: render a page or, for htmx, one named block of it."""

from flask import current_app, g, has_request_context, make_response, render_template, request, url_for
from jinja2_fragments.flask import render_block

FRAGMENT = "is2in_fragment"  # set in g while one block is rendered: the page's frame is not (core.templating)


def render(template: str, block: str | None = None, **context):
    """Render ``template``; an htmx request (not a boosted page load) gets only ``block``, with a light context:
    the menu and the unread count belong to the page's frame, which a fragment does not carry."""
    if block and request.htmx and not request.htmx.boosted:
        setattr(g, FRAGMENT, True)
        try:
            response = make_response(render_block(template, block, **context))
        finally:
            g.pop(FRAGMENT, None)
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
