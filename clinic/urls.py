from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.views import account, erasure, recovery

urlpatterns = [
    # The language switcher of the signed-out pages posts here.
    path("language/", account.switch_language, name="set_language"),
    path("accounts/login/", account.SignIn.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # A forgotten password (tracker/views/recovery.py).
    path("accounts/password/forgot/", recovery.forgot_password, name="password_reset"),
    path(
        "accounts/password/forgot/sent/", recovery.forgot_password_done, name="password_reset_done"
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        recovery.ResetPassword.as_view(),
        name="password_reset_confirm",
    ),
    # Two-step sign-in, password and the signed-in user's own account (tracker/views/account.py).
    path("accounts/verify/", account.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", account.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/backup-codes/", account.backup_codes, name="backup_codes"),
    path("accounts/password/", account.PasswordChange.as_view(), name="password_change"),
    path("account/", account.account, name="account"),
    path("account/language/", account.choose_language, name="choose_language"),
    path("account/my-data.json", account.my_data, name="my_data"),
    # Asking for the account and data to be erased (tracker/views/erasure.py).
    path("account/erase/", erasure.erase_account, name="erase_account"),
    path("account/erase/withdraw/", erasure.withdraw_request, name="withdraw_erasure"),
    path("admin/", admin.site.urls),
    path("", include("tracker.urls")),
]

# A database that cannot be reached is answered 503, not 500 (tracker/outages.py).
handler500 = "tracker.outages.server_error"
