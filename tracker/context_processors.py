from django.utils.functional import lazy
from django.utils.translation import gettext

from tracker import access, symptoms

# In the reader's language, worded only where a page shows it.
symptoms_in_words = lazy(lambda: symptoms.in_words(gettext=gettext), str)


def role(request):
    """The signed-in user's role, for the navigation bar."""
    return {"role": access.role_of(request.user) if hasattr(request, "user") else None}


def symptom_list(request):
    """The symptoms, for every page that lists, heads or names them (symptoms.py)."""
    return {"symptoms": symptoms.SYMPTOMS, "symptoms_in_words": symptoms_in_words()}
