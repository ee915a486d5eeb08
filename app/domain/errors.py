"""Domain errors: what an operator action or a payload got wrong, said in the NOC's words."""


class DomainError(Exception):
    """An operation the domain refuses; the message is shown to the operator as is."""


class IllegalTransition(DomainError):
    """An incident action that its current state does not allow (see the transition table)."""
