"""The app starts, migrates and serves its login page."""


def test_login_page_is_russian_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Войти" in html and 'lang="ru"' in html
