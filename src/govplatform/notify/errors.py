"""Notify's errors, by the names and status codes its API gives them.

The business rules raise these, because the names are part of Notify's
contract (clients branch on `BadRequestError` or `RateLimitError`), and the
API turns them into `{"status_code": N, "errors": [{"error", "message"}]}`.
"""

from __future__ import annotations


class NotifyError(Exception):
    def __init__(self, status_code: int, error: str, messages: str | list[str]) -> None:
        self.status_code = status_code
        self.error = error
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))

    def body(self) -> dict[str, object]:
        return {
            "status_code": self.status_code,
            "errors": [{"error": self.error, "message": message} for message in self.messages],
        }


def bad_request(message: str, status_code: int = 400) -> NotifyError:
    return NotifyError(status_code, "BadRequestError", message)


def validation_error(messages: str | list[str]) -> NotifyError:
    return NotifyError(400, "ValidationError", messages)


def no_result() -> NotifyError:
    return NotifyError(404, "NoResultFound", "No result found")
