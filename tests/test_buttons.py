"""What a tap on a result's button means (bot/features/buttons.py), without Telegram: a Vary (Region)
tap opens a picker only for someone whose submit would be admitted."""

from __future__ import annotations

from bot.core.domain import Refusal, Refused, Requester
from bot.features.buttons import ButtonService, Pressed
from bot.store import Store

ANN = Requester(7, "Ann", "ann")


class Regions:
    def __init__(self) -> None:
        self.opened: list[int] = []

    async def open(self, button: object, owner: Requester) -> bool:
        self.opened.append(owner.user_id)
        return False


class Access:
    def __init__(self, refused: Refused | None) -> None:
        self.refused = refused

    async def check(self, user_id: int, chat_id: int) -> Refused | None:
        return self.refused


async def test_a_picker_opens_only_for_someone_whose_submit_would_be_admitted(store: Store) -> None:
    [button] = await store.create_buttons("img", ["variation_region"], chat_id=-5, message_id=50, owner_id=7)
    regions = Regions()
    used_up = Refused(Refusal.USER_DAILY, limit=2)
    refused = await ButtonService(store, None, regions, Access(used_up)).press(  # type: ignore[arg-type]
        button.key, chat_id=-5, chat_type="group", requester=ANN)  # fmt: skip
    assert (refused.result, refused.refused, regions.opened) == (Pressed.REFUSED, used_up, [])
    opened = await ButtonService(store, None, regions, Access(None)).press(  # type: ignore[arg-type]
        button.key, chat_id=-5, chat_type="group", requester=ANN)  # fmt: skip
    assert opened.result is Pressed.PICK_REGION and regions.opened == [7]
