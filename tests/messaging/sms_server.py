"""The tests' NHN Cloud SMS server is the repository's fake (dangol.core.fakes.nhn_sms)."""

from dangol.core.fakes.nhn_sms import APP_KEY, OPT_OUT_080, SECRET_KEY, SENDER, FakeNhnSms

__all__ = ["APP_KEY", "OPT_OUT_080", "SECRET_KEY", "SENDER", "FakeNhnSms"]
