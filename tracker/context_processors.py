from tracker import access


def role(request):
    """The signed-in user's role, for the navigation bar."""
    return {"role": access.role_of(request.user) if hasattr(request, "user") else None}
