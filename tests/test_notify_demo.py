"""`surveyapp init-demo` leaves example messages in the mail sink, listed on the admin page."""
from __future__ import annotations

from click.testing import CliRunner
from flask.cli import ScriptInfo

from conftest import IsolatedClient, login
from surveyapp import create_app
from surveyapp.cli import cli
from surveyapp.demo import DEMO_PASSWORD
from surveyapp.extensions import db


def test_init_demo_fills_the_mail_sink_shown_to_the_department_admin(tmp_path):
    app = create_app({"ENV": "testing", "TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
                      "MAIL_FOLDER": str(tmp_path / "mail"), "EXPORT_FOLDER": str(tmp_path / "exports"),
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"), "SERVER_NAME": "surveyapp.test",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "TWO_FACTOR_REQUIRED": False})  # the sign-in code step has its own tests
    app.test_client_class = IsolatedClient
    result = CliRunner().invoke(cli, ["init-demo"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "notifications: 2 delivered" in result.output
    emls = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(emls) == 2
    client = app.test_client()
    login(client, "admin", DEMO_PASSWORD)
    page = client.get("/admin/notifications/mail").get_data(as_text=True)
    assert "Việc khẩn tại Trường THCS Hồng Bàng" in page
    assert "Thư khẩn trong hộp thư góp ý của Trường THCS Hồng Bàng" in page
    with app.app_context():
        db.engine.dispose()
