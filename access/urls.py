from django.urls import path

from .api import MeView, TokenDetailView, TokenListView, TokenView

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/tokens/", TokenListView.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="auth-token-detail"),
]
