from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.views import account

urlpatterns = [
    path("accounts/login/", account.SignIn.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Two-step sign-in, password and the signed-in user's own account (tracker/views/account.py).
    path("accounts/verify/", account.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", account.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/backup-codes/", account.backup_codes, name="backup_codes"),
    path("accounts/password/", account.PasswordChange.as_view(), name="password_change"),
    path("account/", account.account, name="account"),
    path("account/my-data.json", account.my_data, name="my_data"),
    path("admin/", admin.site.urls),
    path("", include("tracker.urls")),
]
