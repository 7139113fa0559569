from django import forms


class PageFormMixin:
    """Labels without Django's trailing colon: the pages' labels sit above their fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PageForm(PageFormMixin, forms.Form):
    pass
