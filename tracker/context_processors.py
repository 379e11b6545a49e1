from tracker import access, symptoms

SYMPTOMS_IN_WORDS = symptoms.in_words()


def role(request):
    """The signed-in user's role, for the navigation bar."""
    return {"role": access.role_of(request.user) if hasattr(request, "user") else None}


def symptom_list(request):
    """The symptoms, for every page that lists, heads or names them (symptoms.py)."""
    return {"symptoms": symptoms.SYMPTOMS, "symptoms_in_words": SYMPTOMS_IN_WORDS}
