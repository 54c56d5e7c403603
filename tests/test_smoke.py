from exam.auth.models import UserRole


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page


def test_each_role_home_page_renders(login_as, client):
    for role in UserRole.ALL:
        client.post("/logout")
        login_as(role)
        response = client.get("/")
        assert response.status_code == 200, role
