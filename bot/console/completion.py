"""Tab completion at the console: verbs, ``:`` commands, and the incident (``INC-4``) and
statement (``S3``) numbers of the incidents at hand, read from the database after each
line (completion itself never waits for the database)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from bot.console.meta import FORMS
from bot.console.platform import PLATFORM, WORKSPACE
from commands import VERBS
from storage import Incident, Store


class ConsoleCompleter(Completer):
    def __init__(self) -> None:
        self.numbers: list[str] = []  # INC-4, S3, … as they stood after the last line

    async def refresh(self, store: Store, channel: str) -> None:
        """The open incidents' numbers and their statements', and those of the incident
        whose channel this is (resolved ones too: `postmortem` is typed there)."""
        async with store.reading() as uow:
            incidents: list[Incident] = list(await uow.incidents.open_in(PLATFORM, WORKSPACE))
            here = await uow.incidents.by_channel(PLATFORM, channel)
            if here is not None and here.id not in {i.id for i in incidents}:
                incidents.append(here)
            numbers = [f"INC-{incident.number}" for incident in incidents]
            statements: set[int] = set()
            for incident in incidents if here is None else [here]:
                assert incident.id is not None
                statements.update(s.number for s in await uow.statements.of_incident(incident.id))
        self.numbers = numbers + [f"S{number}" for number in sorted(statements)]

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        word = document.get_word_before_cursor(WORD=True)
        earlier = before[: len(before) - len(word)].split()
        yield from _starting_with(word, self._choices(earlier, word))

    def _choices(self, earlier: Sequence[str], word: str) -> Iterable[str]:
        if not earlier:
            if word.startswith(":"):
                return [f":{name}" for name in [*FORMS, "quit"]]
            return ["/incident", *VERBS]
        if earlier[0].lower() == "/incident" and (
            len(earlier) == 1 or (len(earlier) == 2 and earlier[1].upper().startswith("INC-"))
        ):
            if len(earlier) == 2:  # /incident INC-4 <verb>
                return list(VERBS)
            return [*VERBS, *(n for n in self.numbers if n.startswith("INC-"))]
        return self.numbers


def _starting_with(word: str, choices: Iterable[str]) -> Iterator[Completion]:
    folded = word.lower()
    for choice in choices:
        if choice.lower().startswith(folded) and choice != word:
            yield Completion(choice, start_position=-len(word))
