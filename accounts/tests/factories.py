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
        user = user_register(
            username=kwargs.pop("username"), email=kwargs.pop("email"), password=kwargs.pop("password")
        )
        if kwargs:  # profile or staff flags: set after sign-up, as an admin or the profile page would
            for name, value in kwargs.items():
                setattr(user, name, value)
            user.save(update_fields=list(kwargs))
        return user
