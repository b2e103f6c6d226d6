"""The demo's calibration: two closed sessions (one with a vendor QA analyst) and a running
one, so every calibration page shows data on first login (issue 13)."""

from __future__ import annotations

import pytest

from calibration import selectors
from calibration.models import CalibrationSession, SessionStatus
from demo.calibration import analyst_email
from tests.test_seed_demo import seeded  # noqa: F401 (the class-scoped seeded demo)


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestTheDemoCalibration:
    def test_two_closed_sessions_one_with_a_vendor_analyst_and_a_running_one(self, seeded):  # noqa: F811
        closed = CalibrationSession.objects.filter(status=SessionStatus.CLOSED)
        assert closed.count() == 2
        assert CalibrationSession.objects.filter(status=SessionStatus.OPEN).count() == 1
        with_analyst = closed.get(participants__user__email=analyst_email())
        assert with_analyst.vendor is not None
        assert {i.ticket.vendor_id for i in with_analyst.items.select_related("ticket")} == {
            with_analyst.vendor_id}
        assert any(analyst_email() in line and "Vendor QA analyst" in line
                   for line in seeded.splitlines())

    def test_closed_sessions_have_numbers_and_gold(self):
        for session in CalibrationSession.objects.filter(status=SessionStatus.CLOSED):
            result = selectors.session_results(session)
            assert result.overall.n_units > 0 and result.overall.alpha_nominal is not None
            assert result.overall.alpha_ci is not None
            assert all(a.compared > 0 for a in result.accuracy)

    def test_the_running_session_shows_progress(self):
        running = CalibrationSession.objects.get(status=SessionStatus.OPEN)
        scored = sorted(p.scored for p in selectors.progress(running))
        assert scored[0] < scored[-1] == running.items.count()

    def test_the_analyst_sees_their_session_in_the_api_and_the_manager_every_one(
        self, client, settings
    ):
        from accounts.models import User
        from tests.factories import enrol_totp

        analyst = User.objects.get(email=analyst_email())
        enrol_totp(analyst)
        client.force_login(analyst, backend="django.contrib.auth.backends.ModelBackend")
        listed = client.get("/api/v1/calibration-sessions/").json()["results"]
        assert [s["status"] for s in listed] == ["closed"]
        detail = client.get(f"/api/v1/calibration-sessions/{listed[0]['id']}/").json()
        assert detail["overall"]["n_units"] > 0
        manager = User.objects.get(email="manager@demo.qa")
        client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
        assert len(client.get("/api/v1/calibration-sessions/").json()["results"]) == 3
        page = client.get(f"/calibration/{listed[0]['id']}/").content.decode()
        assert 'id="agreement"' in page and 'id="grid"' in page
