"""The book's allocation form refuses a blank method with the form's message (hostile input found " " reached
rules.allocate and gave a 500)."""

import pytest


@pytest.mark.rule("S-9.2")
def test_a_blank_allocation_method_is_a_message_not_a_server_error(client, auth, make_subscription):
    sub = make_subscription()
    auth.login("seller@demo.kz")
    for blank in (" ", "", "\t"):
        response = client.get(f"/subscriptions/{sub.id}/book", query_string={"method": blank})
        assert response.status_code == 200, blank
        assert "Выберите способ распределения." in response.get_data(as_text=True), blank
