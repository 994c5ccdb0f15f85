"""The platform's one list of data items: the facts about a person that datasets hold and forms ask for.

A dataset's field and a form's question name an item from this list, so the platform can tell that a question
asks for something a dataset already holds (issue 23's "ask less"), and a citizen's data-use page can say what
was shared in words they know. Each item has a definition, the answer type a form asks it with (forms part 1's
types), the identity claim that carries it when identity proved it (One Login's vocabulary, with a JSON
pointer into the claim), and whether it is special-category data in itself (UK GDPR Article 9).

The list is code, reviewed like code: an item's id is a promise that every dataset and form naming it means the
same thing. Adding one is a change to this file; changing what an id means never is.
"""

from __future__ import annotations

import dataclasses

VOCAB = "https://vocab.account.gov.uk/v1/"
CORE_IDENTITY = VOCAB + "coreIdentityJWT"


@dataclasses.dataclass(frozen=True)
class DataItem:
    id: str
    name: dict[str, str]  # {"en": ..., "cy": ...}
    definition: dict[str, str]
    answer_type: str
    identity_claim: str | None = None
    special_category: bool = False

    def as_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _item(
    id: str, en: str, cy: str, means: str, ystyr: str, answer_type: str, claim: str | None = None, special: bool = False
) -> DataItem:
    return DataItem(id, {"en": en, "cy": cy}, {"en": means, "cy": ystyr}, answer_type, claim, special)


ITEMS: tuple[DataItem, ...] = (
    _item("full-name", "Full name", "Enw llawn", "The name a person is known by, all of it.",
          "Yr enw y mae person yn cael ei adnabod wrtho, y cyfan ohono.", "name",
          CORE_IDENTITY + "#/vc/credentialSubject/name"),
    _item("given-names", "Given names", "Enwau cyntaf", "A person's first and middle names.",
          "Enw cyntaf ac enwau canol person.", "name", CORE_IDENTITY + "#/vc/credentialSubject/name/0/nameParts"),
    _item("family-name", "Family name", "Cyfenw", "A person's surname.", "Cyfenw person.", "name",
          CORE_IDENTITY + "#/vc/credentialSubject/name/0/nameParts"),
    _item("date-of-birth", "Date of birth", "Dyddiad geni", "The day a person was born.",
          "Y diwrnod y ganwyd person.", "date", CORE_IDENTITY + "#/vc/credentialSubject/birthDate/0/value"),
    _item("address", "Address", "Cyfeiriad", "Where a person lives now.", "Lle mae person yn byw nawr.",
          "address", VOCAB + "address#/0"),
    _item("postcode", "Postcode", "Cod post", "The postcode of where a person lives now.",
          "Cod post y lle mae person yn byw nawr.", "text", VOCAB + "address#/0/postalCode"),
    _item("email-address", "Email address", "Cyfeiriad e-bost", "An email address that reaches the person.",
          "Cyfeiriad e-bost sy'n cyrraedd y person.", "email", "email"),
    _item("phone-number", "Phone number", "Rhif ffôn", "A phone number that reaches the person.",
          "Rhif ffôn sy'n cyrraedd y person.", "phone", "phone_number"),
    _item("national-insurance-number", "National Insurance number", "Rhif Yswiriant Gwladol",
          "The number HMRC and DWP know a person by, like QQ 12 34 56 C.",
          "Y rhif y mae CThEF a'r Adran Gwaith a Phensiynau yn adnabod person wrtho, fel QQ 12 34 56 C.",
          "ni-number", VOCAB + "socialSecurityRecord#/0/personalNumber"),
    _item("driving-licence-number", "Driving licence number", "Rhif trwydded yrru",
          "The 16-character number on a GB photocard driving licence.",
          "Y rhif 16 nod ar drwydded yrru cerdyn-llun Prydain.", "text",
          VOCAB + "drivingPermit#/0/personalNumber"),
    _item("driving-licence-expiry-date", "Driving licence expiry date", "Dyddiad dod i ben y drwydded yrru",
          "The date a photocard driving licence's card expires (4b on the card).",
          "Y dyddiad y daw cerdyn trwydded yrru cerdyn-llun i ben (4b ar y cerdyn).", "date",
          VOCAB + "drivingPermit#/0/expiryDate"),
    _item("driving-licence-issue-number", "Driving licence issue number", "Rhif cyhoeddi'r drwydded yrru",
          "The two digits after a licence number that count the cards issued with it.",
          "Y ddau ddigid ar ôl rhif trwydded sy'n cyfrif y cardiau a gyhoeddwyd gydag ef.", "text",
          VOCAB + "drivingPermit#/0/issueNumber"),
    _item("passport-number", "Passport number", "Rhif pasbort", "The 9-digit number of a UK passport.",
          "Rhif 9 digid pasbort y DU.", "text", VOCAB + "passport#/0/documentNumber"),
    _item("passport-expiry-date", "Passport expiry date", "Dyddiad dod i ben y pasbort",
          "The date a UK passport expires.", "Y dyddiad y daw pasbort y DU i ben.", "date",
          VOCAB + "passport#/0/expiryDate"),
    _item("vehicle-registration", "Vehicle registration number", "Rhif cofrestru cerbyd",
          "The number on a vehicle's number plates.", "Y rhif ar blatiau rhif cerbyd.", "text"),
    _item("vehicle-make", "Vehicle make", "Gwneuthuriad cerbyd", "Who made a vehicle, like Ford.",
          "Pwy wnaeth gerbyd, fel Ford.", "text"),
    _item("vehicle-model", "Vehicle model", "Model cerbyd", "A vehicle's model, like Fiesta.",
          "Model cerbyd, fel Fiesta.", "text"),
    _item("vehicle-colour", "Vehicle colour", "Lliw cerbyd", "A vehicle's main colour as registered.",
          "Prif liw cerbyd fel y'i cofrestrwyd.", "text"),
    _item("vehicle-fuel-type", "Vehicle fuel type", "Math o danwydd cerbyd",
          "What a vehicle runs on, like petrol or electricity.",
          "Beth mae cerbyd yn rhedeg arno, fel petrol neu drydan.",
          "selection"),
    _item("vehicle-keeper-since", "Vehicle keeper since", "Ceidwad y cerbyd ers",
          "The date a person became a vehicle's registered keeper.",
          "Y dyddiad y daeth person yn geidwad cofrestredig cerbyd.", "date"),
    _item("council-tax-band", "Council Tax band", "Band Treth Gyngor",
          "The valuation band of a home, A to H (I in Wales).",
          "Band prisio cartref, A i H (I yng Nghymru).", "selection"),
    _item("receives-universal-credit", "Receives Universal Credit", "Yn cael Credyd Cynhwysol",
          "Whether a person is paid Universal Credit now.", "A yw person yn cael Credyd Cynhwysol nawr.", "yes-no"),
    _item("blue-badge-holder", "Holds a Blue Badge", "Yn dal Bathodyn Glas",
          "Whether a person holds a Blue Badge for parking because of a disability (health data).",
          "A yw person yn dal Bathodyn Glas i barcio oherwydd anabledd (data iechyd).", "yes-no", special=True),
    _item("health-condition", "Health condition", "Cyflwr iechyd", "A physical or mental health condition.",
          "Cyflwr iechyd corfforol neu feddyliol.", "text", special=True),
)  # fmt: skip

BY_ID = {item.id: item for item in ITEMS}
