"""The demo's calibration: two closed sessions (one with a vendor QA analyst), a running one
and eight earlier rounds three weeks apart, so every calibration page shows data on first
login, the reliability page a trend, and one auditor's drift a red flag (issue 13)."""

from __future__ import annotations

from calibration import selectors, track_record
from calibration.models import CalibrationSession, SessionStatus
from demo.calibration import DRIFTING, HISTORY_ROUNDS, analyst_email


class CalibrationDemoChecks:
    """Read by tests.test_seed_demo.TestTheSeededDemo, which inherits them: one seed serves
    every check of the demo."""

    def test_two_closed_sessions_one_with_a_vendor_analyst_and_a_running_one(self, seeded):
        closed = CalibrationSession.objects.filter(status=SessionStatus.CLOSED)
        assert closed.count() == 2 + HISTORY_ROUNDS
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
        every = client.get("/api/v1/calibration-sessions/").json()["results"]
        assert len(every) == 3 + HISTORY_ROUNDS
        page = client.get(f"/calibration/{listed[0]['id']}/").content.decode()
        assert 'id="agreement"' in page and 'id="grid"' in page

    def test_the_reliability_page_shows_a_trend_and_one_auditor_drifting(self, client):
        from accounts.models import User

        report = track_record.reliability_report()
        assert [p.user.email for p in report.drifting] == [DRIFTING]
        drifting = report.drifting[0]
        assert drifting.drift.earlier.rate > 0.9 > 0.85 > drifting.drift.recent.rate
        assert all(len(p.months) >= 4 for p in report.people if p.user.is_internal)
        (form,) = report.forms
        assert len(form.points) == 2 + HISTORY_ROUNDS
        assert all(a.alpha_ci is not None for _, a in form.points)
        manager = User.objects.get(email="manager@demo.qa")
        client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
        page = client.get("/calibration/reliability/").content.decode()
        assert 'id="drift-alerts"' in page and DRIFTING in page and "<svg" in page

    def test_the_drift_is_a_red_flag_on_the_managers_first_page(self, client):
        from accounts.models import User

        manager = User.objects.get(email="manager@demo.qa")
        client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
        flags = client.get("/").context["overview"].red_flags
        drift = [f.text for f in flags if f.kind == "auditor_drift"]
        assert drift == [f"Auditor {DRIFTING}: " + track_record.drifting_people()[0][1].text]
        assert drift[0].endswith("(significant)") and "fell from" in drift[0]

    def test_the_drifting_auditor_sees_it_on_their_home(self, client):
        from accounts.models import User

        auditor = User.objects.get(email=DRIFTING)
        client.force_login(auditor, backend="django.contrib.auth.backends.ModelBackend")
        page = client.get("/").content.decode()
        assert 'id="my-calibration"' in page and 'id="my-drift"' in page
