from django.urls import path
from rest_framework.routers import SimpleRouter

from payments.api import views

router = SimpleRouter(trailing_slash=False)
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path("payments/webhook", views.PortOneWebhookView.as_view(), name="payment-webhook"),
    *router.urls,
]
