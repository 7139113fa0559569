import factory

from accounts.models import User
from accounts.services import user_register

DEFAULT_PASSWORD = "correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    """A user made the way sign-up makes one: validated password, balance with the initial grant."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"trader{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = DEFAULT_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_register(username=kwargs["username"], email=kwargs["email"], password=kwargs["password"])
