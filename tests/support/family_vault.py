"""A family's Obsidian vault, written from a seed, with 40 questions a family would ask of it.

House manuals, recipes, school, health, travel and passwords-style notes (no real secrets) in
English, German and Portuguese, with frontmatter, aliases, tags, wiki links and a few months of
daily notes around them. The same seed always writes the same vault, so tests and benchmarks can
rely on it; details such as codes, dates and numbers change with the seed.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FamilyQuestion:
    """A question a family member might ask, and the note(s) that answer it."""

    id: str
    question: str
    relevant: tuple[str, ...]
    lang: str

    def as_data(self) -> dict[str, object]:
        """The question in the development set's JSON lines format."""
        return {
            "id": self.id,
            "question": self.question,
            "relevant": list(self.relevant),
            "lang": self.lang,
        }


@dataclass(frozen=True)
class FamilyVault:
    """A written vault: its folder, its notes' vault paths and its questions."""

    root: Path
    notes: tuple[str, ...]
    questions: tuple[FamilyQuestion, ...]


def write_family_vault(root: Path, seed: int = 7) -> FamilyVault:
    """Writes the vault under `root` (created if missing) and returns its questions."""
    chooser = random.Random(seed)
    facts = _facts(chooser)
    notes = {**_topic_notes(facts), **_daily_notes(chooser, facts)}
    for relative, text in notes.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return FamilyVault(root=root, notes=tuple(sorted(notes)), questions=_questions(facts))


def _facts(chooser: random.Random) -> dict[str, str]:
    """The seeded details the notes mention."""
    return {
        "wifi_name": chooser.choice(["CasaSilva", "Villa-Kunterbunt", "HomeNet", "Ninho"]),
        "router_ip": f"192.168.{chooser.choice([0, 1, 178])}.1",
        "boiler_bar": f"1.{chooser.randint(2, 5)}",
        "filter_size": f"{chooser.choice([16, 20])}x{chooser.choice([20, 25])}x1",
        "bin_day": chooser.choice(["Monday", "Tuesday", "Thursday"]),
        "dentist_phone": f"+49 30 {chooser.randint(100000, 999999)}",
        "pediatrician": chooser.choice(["Dr. Almeida", "Dr. Hoffmann", "Dr. Baptista"]),
        "teacher": chooser.choice(["Frau Schneider", "Mrs Patel", "Professora Lima"]),
        "flight": f"TP {chooser.randint(500, 599)}",
        "locker": str(chooser.randint(10, 99)),
        "oven": str(chooser.choice([180, 190, 200])),
        "dose": str(chooser.choice([5, 7.5, 10])),
        "wifi_hint": chooser.choice(["the dog's name and our street number", "grandma's village"]),
        "gate_code_hint": chooser.choice(["Leo's birthday backwards", "the year we moved in"]),
        "year": str(chooser.choice([2024, 2025])),
    }


def _note(frontmatter: str, body: str) -> str:
    return f"---\n{frontmatter.strip()}\n---\n\n{body.strip()}\n"


def _topic_notes(f: dict[str, str]) -> dict[str, str]:
    return {
        "House/Wi-Fi and router.md": _note(
            "aliases: [Internet, WLAN]\ntags: [house, tech]",
            f"""# Wi-Fi and router

The network is called **{f["wifi_name"]}**; a guest network with the same name plus
"-guest" is for visitors. The password is written on the card inside the hall cupboard
(hint: {f["wifi_hint"]}). Never put it in a chat.

## Restarting the router

If the internet is gone, unplug the white box in the study for 30 seconds, plug it back in and
wait until the light turns steady green (about three minutes). The admin page is at
{f["router_ip"]}.

## Parental controls

The kids' tablets are in the "Kids" profile: no internet after 20:30 on school nights.
See [[Screen time rules]].""",
        ),
        "House/Heating and boiler.md": _note(
            "aliases: [Boiler, Heizung]\ntags: [house, manual]",
            f"""# Heating and boiler

The gas boiler is in the utility room behind the washing machine.

## Low pressure

When the gauge on the front drops below 1 bar, the radiators stay cold. Open the blue filling
tap underneath slowly until the needle reaches {f["boiler_bar"]} bar, then close it firmly.
If it keeps dropping every week, call the plumber (number in [[Important phone numbers]]).

## Bleeding radiators

Every autumn, let the air out of the radiators with the little square key that hangs on the
hook next to the fuse box. Hold a cloth under the valve until water comes out.""",
        ),
        "House/Washing machine.md": _note(
            "aliases: [Waschmaschine]\ntags: [house, manual]",
            """# Washing machine

Bosch Serie 6, bought in 2021, warranty until the end of 2026.

## Error E18

E18 means it cannot pump the water out. Put a towel and a flat tray under the little door at
the bottom right, open it and unscrew the lint filter slowly; usually a sock or a hair tie is
stuck there.

## Which programme

- Cotton 40 for towels and bed sheets
- Easy care 30 for school uniforms
- Wool / hand wash for grandma's knitted jumpers — never the dryer""",
        ),
        "House/Bins and recycling.md": _note(
            "aliases: [Müllabfuhr, rubbish, trash]\ntags: [house, routine]",
            f"""# Bins and recycling

The black bin (general waste) goes out on **{f["bin_day"]}** evening; the yellow bag
(plastic and cans) every second Friday; paper in the blue bin on the first Monday of the month.
Glass goes to the bottle bank by the supermarket car park — not after 8 pm, the neighbours
complained.""",
        ),
        "House/Fuse box.md": _note(
            "aliases: [Sicherungskasten, electricity]\ntags: [house, manual]",
            """# Fuse box

The fuse box is in the hallway cupboard, top shelf, behind the vacuum cleaner.

When half the kitchen goes dark, it is usually switch 7 (kitchen sockets) — the kettle and the
toaster together trip it. Switch it back up; if it trips again straight away, unplug
everything in the kitchen and try one device at a time.""",
        ),
        "House/Garden and watering.md": _note(
            "aliases: [Garten]\ntags: [house, garden]",
            """# Garden and watering

The automatic sprinkler runs at 6:00 for 15 minutes from May to September. The control box is
on the wall of the shed; to turn it off when it rains, press the umbrella button for three
seconds.

Tomatoes need water every evening in July. The compost is turned once a month.""",
        ),
        "House/Heizungsablesung und Nebenkosten.md": _note(
            "aliases: [Nebenkosten]\ntags: [house, money]\nlang: de",
            """# Heizungsablesung und Nebenkosten

Die Ablesung der Heizkostenverteiler macht die Firma Techem einmal im Jahr, meistens im
Januar. Der Termin hängt unten im Treppenhaus aus. Jemand muss zu Hause sein, sonst wird
geschätzt und es wird teurer.

Die Nebenkostenabrechnung kommt im Sommer; Nachzahlungen gehen vom Gemeinschaftskonto ab.""",
        ),
        "Recipes/Grandma's apple cake.md": _note(
            "aliases: [Apfelkuchen, Omas Apfelkuchen]\ntags: [recipe, baking]",
            f"""# Grandma's apple cake

## Ingredients

- 4 sour apples (Boskoop)
- 200 g butter, 180 g sugar, 3 eggs
- 300 g flour, 1 packet baking powder
- cinnamon

## Method

Peel and slice the apples. Beat butter and sugar until fluffy, add the eggs one by one, then
the flour and baking powder. Spread in the springform tin, press the apple slices in, sprinkle
with cinnamon sugar and bake at {f["oven"]} °C for 50 minutes. Grandma says it is better on
the second day.""",
        ),
        "Recipes/Bolo de cenoura.md": _note(
            "aliases: [Carrot cake, Bolo de cenoura com cobertura]\ntags: [receita, baking]\n"
            "lang: pt",
            """# Bolo de cenoura

## Ingredientes

- 3 cenouras médias
- 3 ovos, 1 xícara de óleo
- 2 xícaras de açúcar, 2 xícaras de farinha de trigo
- 1 colher de sopa de fermento

## Modo de preparo

Bata no liquidificador as cenouras, os ovos e o óleo. Misture com o açúcar e a farinha, junte
o fermento por último. Asse em forno médio por 40 minutos.

## Cobertura de chocolate

Leve ao fogo 1 colher de manteiga, 3 colheres de chocolate em pó, 1 xícara de açúcar e 5
colheres de leite até engrossar, e despeje ainda quente sobre o bolo.""",
        ),
        "Recipes/Leo's lunchbox ideas.md": _note(
            "aliases: [lunch box, school snacks]\ntags: [recipe, kids]",
            """# Leo's lunchbox ideas

Leo's school is nut-free: no peanut butter, no Nutella, no cereal bars with nuts.

- wholemeal wrap with cream cheese and cucumber
- pasta salad with peas and ham (make it the evening before)
- apple slices with lemon juice so they don't go brown
- cheese cubes and crackers""",
        ),
        "Recipes/Feijoada.md": _note(
            "aliases: [black bean stew]\ntags: [receita, dinner]\nlang: pt",
            """# Feijoada da Vó Rosa

Deixe o feijão preto de molho na véspera. Cozinhe as carnes salgadas separadas para tirar o
sal, depois junte tudo na panela de pressão por 40 minutos. Sirva com arroz, couve refogada,
farofa e laranja. Dá para oito pessoas — congele o que sobrar em potes.""",
        ),
        "Recipes/Pancakes.md": _note(
            "tags: [recipe, breakfast]",
            """# Sunday pancakes

250 ml milk, 1 egg, 150 g flour, a pinch of salt, 1 teaspoon sugar. Whisk, rest 10 minutes,
fry in a little butter. For Marta's gluten-free version use buckwheat flour and add one more
egg.""",
        ),
        "Recipes/Linsensuppe.md": _note(
            "aliases: [lentil soup]\ntags: [rezept, dinner]\nlang: de",
            """# Linsensuppe

Zwiebel, Karotten und Sellerie klein schneiden und anbraten, 250 g Tellerlinsen und 1,5 Liter
Brühe dazu, 30 Minuten köcheln. Zum Schluss Würstchen in Scheiben und einen Schuss Essig.
Hält sich drei Tage im Kühlschrank.""",
        ),
        "School/Leo - school contacts.md": _note(
            "aliases: [Leo school]\ntags: [school, kids/leo]",
            f"""# Leo – school contacts

Leo is in class 3b at Grundschule am Park. His teacher is {f["teacher"]}.
Sick notes go by email to the school office before 8:00. Absence longer than three days needs
a doctor's note.

## After-school club

Monday to Thursday until 16:00; on Fridays pick him up at 12:30. Swimming bag on Wednesdays.""",
        ),
        "School/Ana - Gymnasium.md": _note(
            "aliases: [Ana school]\ntags: [school, kids/ana]",
            """# Ana – Gymnasium

Ana is in year 8. Parents' evening is in November and March; book the slots in the school app
the week before.

## Exams

Maths tests are announced a week in advance; Ana revises with the flashcards in the blue box.
She wants to do the French exchange to Lyon in spring — the form needs both parents'
signatures.""",
        ),
        "School/School holidays.md": _note(
            f"aliases: [Ferien, Schulferien {f['year']}]\ntags: [school, calendar]",
            """# School holidays

- Autumn break: two weeks in October
- Christmas: 23 December to 5 January
- Winter break: one week in February
- Easter: two weeks
- Summer: six weeks from late June — we go to Portugal, see [[Summer in Portugal]]

Bridge days (Brückentage) are not always free: check the school letter.""",
        ),
        "School/Screen time rules.md": _note(
            "aliases: [Bildschirmzeit, tablet rules]\ntags: [kids, rules]",
            """# Screen time rules

On school days one hour of tablet after homework is finished; none after 20:30. At weekends
two hours, and films together don't count. Phones stay in the kitchen overnight — parents
too.""",
        ),
        "Health/Vaccinations.md": _note(
            "aliases: [Impfungen, vacinas, Impfpass]\ntags: [health]",
            """# Vaccinations

The yellow vaccination booklets of all four of us are in the document folder, second drawer
of the desk.

- Leo: MMR second dose done; next is the tetanus booster at age 9.
- Ana: HPV first dose in spring, second six months later.
- Parents: tetanus refresh every ten years — Marta's is due next year.
- Everyone: flu shot in October at the pharmacy.""",
        ),
        "Health/Leo's allergy plan.md": _note(
            "aliases: [Allergie, anaphylaxis plan, EpiPen]\ntags: [health, kids/leo]",
            f"""# Leo's allergy plan

Leo is allergic to peanuts and tree nuts.

## If he reacts

Mild (itchy mouth, a few hives): give {f["dose"]} ml of the antihistamine syrup and watch him.
Severe (swollen lips, coughing, trouble breathing): use the EpiPen on the outer thigh, call 112,
then lie him down with legs raised.

One EpiPen is in his school bag, one in the kitchen drawer by the fridge. Check the expiry
dates every January.""",
        ),
        "Health/Doctors and dentists.md": _note(
            "aliases: [Ärzte, médicos]\ntags: [health, contacts]",
            f"""# Doctors and dentists

- Family doctor: Dr. Weiß, Praxis am Markt, open Mon–Fri 8–12
- Children's doctor: {f["pediatrician"]} (Leo and Ana)
- Dentist: Zahnarztpraxis Sonnenschein, phone {f["dentist_phone"]}; check-ups every six
  months, the next reminder comes by post.
- Out of hours: call 116117.""",
        ),
        "Health/Marta - Physiotherapie.md": _note(
            "aliases: [Physio]\ntags: [health]\nlang: de",
            """# Marta – Physiotherapie

Nach dem Bandscheibenvorfall: sechs Termine Krankengymnastik, jeweils dienstags um 7:30.
Die Übungen für zu Hause: Katzenbuckel, Brücke und Dehnung der Oberschenkel, jeden Abend
zehn Minuten. Kein schweres Heben bis Ende des Monats, also trägt jemand anderes die
Getränkekisten.""",
        ),
        "Health/Medicine cabinet.md": _note(
            "aliases: [Hausapotheke, first aid]\ntags: [health, house]",
            """# Medicine cabinet

Top shelf in the bathroom, locked; the key is on top of the mirror.

- Fever: paracetamol syrup for the kids (dose by weight, table on the box), ibuprofen for adults
- Plasters, bandages, tweezers for splinters and ticks
- Thermometer in the green case

Throw out anything past its date each January and take it to the pharmacy.""",
        ),
        "Travel/Summer in Portugal.md": _note(
            "aliases: [Verão em Portugal, Portugal trip]\ntags: [travel]",
            f"""# Summer in Portugal

We fly Berlin to Lisbon on flight {f["flight"]} and stay three weeks with Vó Rosa in
Ericeira. Tickets and booking codes are in the travel folder in the shared drive.

## Packing

Kids' passports and ID cards, the European health insurance cards, adapters are not needed
(same plugs). Sunscreen 50 for Leo.

## Things to bring grandma

German chocolate, the photo book, and the coffee she likes from the market.""",
        ),
        "Travel/Passports and IDs.md": _note(
            "aliases: [Reisepass, passaporte, ID cards]\ntags: [travel, documents]",
            """# Passports and IDs

All passports are in the fire-proof box in the wardrobe of the parents' bedroom.

- Ana's passport expires next summer — renew it at the Bürgeramt at least eight weeks before
  travelling (book the appointment online, bring a biometric photo).
- Leo only has a children's passport, valid for six years.
- Portuguese citizen cards (Cartão de Cidadão) are renewed at the consulate.""",
        ),
        "Travel/Skiurlaub Checkliste.md": _note(
            "aliases: [ski trip, Winterurlaub]\ntags: [travel, checklist]\nlang: de",
            f"""# Skiurlaub Checkliste

- Skihelme und Skibrillen (im Keller, Regal links)
- Schneeketten ins Auto — in Österreich Pflicht bei Schnee
- Skipässe vorher online kaufen, Schließfach Nummer {f["locker"]} an der Talstation
- Vignette für die Autobahn
- Warme Socken für alle, Sonnencreme, Lippenpflege""",
        ),
        "Travel/Camping gear.md": _note(
            "aliases: [tent]\ntags: [travel]",
            """# Camping gear

The big tent sleeps four; it is in the attic in the red bag. Pegs are always short — take the
extra bag from the garage. Air mattresses need the electric pump (car socket). Dry the tent at
home after every trip, or it goes mouldy.""",
        ),
        "Money/Accounts and logins.md": _note(
            "aliases: [passwords, Passwörter, senhas, logins]\ntags: [money, security]",
            """# Accounts and logins

We never write passwords in notes. Every password is in the family password manager; the
emergency sheet with the master password is sealed in the fire-proof box.

- Bank: joint account, app on both parents' phones, TAN via the app
- Electricity and gas: customer portal, login with the family email
- Streaming: one shared family plan, profiles for each of us
- School app: each parent has their own login

If someone forgets the password-manager master password, the recovery kit is printed in the
fire-proof box too.""",
        ),
        "Money/Gate and alarm codes.md": _note(
            "aliases: [alarm, Alarmanlage, garage door]\ntags: [house, security]",
            f"""# Gate and alarm codes

The codes themselves are only in the password manager. Hint for the garden gate:
{f["gate_code_hint"]}.

## Alarm went off by mistake

Type the code on the panel by the front door and press OFF within 30 seconds; then call the
security company so they don't send someone. The cleaner has her own code that only works on
weekdays.""",
        ),
        "Money/Pocket money.md": _note(
            "aliases: [Taschengeld, mesada]\ntags: [money, kids]",
            """# Pocket money

Ana gets 25 euros a month, Leo gets 3 euros a week, paid on Saturday mornings. Extra for jobs
like washing the car (5 euros). Birthday money from grandparents goes half into the savings
account.""",
        ),
        "Money/Car insurance and service.md": _note(
            "aliases: [Auto, car, TÜV]\ntags: [money, car]",
            """# Car insurance and service

The car needs its TÜV inspection every two years, next in May. Oil change at the garage in
Weißensee every 15,000 km. Winter tyres go on in October ("von O bis O": October to Easter);
they are stored at the garage, tyre hotel ticket in the glove box.""",
        ),
        "Family/Important phone numbers.md": _note(
            "aliases: [Telefonnummern, contactos, emergency numbers]\ntags: [family, contacts]",
            """# Important phone numbers

- Emergency: 112; police 110
- Plumber: Installateur Krüger, 24-hour line on the fridge magnet
- Locksmith: the one on Hauptstraße, not the online ones
- Neighbours: the Okafors have our spare key
- Vó Rosa (Portugal): on the family group chat""",
        ),
        "Family/Birthdays.md": _note(
            "aliases: [Geburtstage, aniversários]\ntags: [family, calendar]",
            """# Birthdays

- Ana: 14 March
- Leo: 2 August (at the lake house, usually)
- Marta: 21 November
- Vó Rosa: 8 May — call her in the morning, she goes to mass at 11
- Uncle Jens: 30 December

Presents ideas go in [[Gift ideas]].""",
        ),
        "Family/Gift ideas.md": _note(
            "aliases: [Geschenkideen, presentes]\ntags: [family]",
            """# Gift ideas

- Ana: art supplies (alcohol markers), concert tickets
- Leo: Lego Technic, a football jersey
- Uncle Jens: a good bottle of Port, he liked the Taylor's
- Vó Rosa: a digital photo frame with the kids' pictures""",
        ),
        "Family/Babysitter instructions.md": _note(
            "aliases: [babysitter, Babysitter-Infos]\ntags: [family, kids]",
            """# Babysitter instructions

Dinner at 18:30, Leo in bed by 20:00 with one story, Ana by 21:30. Leo must not eat anything
with nuts — see [[Leo's allergy plan]]. The cat is fed once in the evening, half a pouch.
Our numbers are on the fridge; if you cannot reach us, call Uncle Jens.""",
        ),
        "Family/Pets - Mia the cat.md": _note(
            "aliases: [cat, Katze, gata]\ntags: [family, pets]",
            """# Mia the cat

Mia is six, indoor and balcony only. The vet is Tierarztpraxis Nord; vaccination every year in
April. She gets a worming tablet every three months hidden in a treat. When we travel, the
neighbours' daughter comes twice a day — leave her a key and 20 euros a day.""",
        ),
        "Projects/Bathroom renovation.md": _note(
            "aliases: [Badsanierung]\ntags: [project, house]",
            """# Bathroom renovation

Tiles: matt grey 60x60 from the tile shop in Spandau; grout anthracite. The plumber replaces
the bathtub with a walk-in shower in March. Budget 9,000 euros, we have spent 3,200 so far.
The landlord agreed in writing (email of 12 January).""",
        ),
        "Projects/Holiday lights.md": _note(
            "tags: [project, house]",
            """# Holiday lights

The outdoor lights are on a timer: on at 16:30, off at 23:00. Boxes are labelled in the
basement; the blue extension cable is for the balcony. Take them down before 6 January.""",
        ),
    }


def _daily_notes(chooser: random.Random, f: dict[str, str]) -> dict[str, str]:
    """Two months of short journal entries, a few of which carry answers."""
    start = datetime.date(int(f["year"]), 3, 1)
    chores = [
        "Took the kids to school, bought bread.",
        "Leo had football training, Ana at the library.",
        "Cleaned the kitchen, laundry, called Vó Rosa.",
        "Marta worked late; pizza for dinner.",
        "Rainy day, board games in the evening.",
        "Shopping: milk, eggs, apples, coffee.",
        "Paid the electricity bill, sorted the post.",
        "Ana practised piano for her lesson.",
    ]
    special = {
        5: "The plumber came about the boiler: the pressure valve was replaced, 180 euros. "
        "He said the boiler should be serviced again next March.",
        12: "Leo lost a tooth at school! The tooth fairy brought 2 euros.",
        19: "Heute neue Winterreifen gekauft? Nein — die Sommerreifen wurden gewechselt, "
        "der Termin in der Werkstatt war um 9 Uhr.",
        26: "Mia the cat was sick twice; the vet said it was a hairball and gave us a paste.",
        33: "Ana got her maths test back: 1.7! We celebrated with ice cream.",
        40: "Hoje a Vó Rosa ligou: ela vai fazer oitenta anos e quer uma festa em Ericeira.",
        47: "Replaced the smoke alarm battery in the hallway (the one that beeps at night).",
    }
    notes = {}
    for offset in range(60):
        day = start + datetime.timedelta(days=offset)
        text = special.get(offset) or " ".join(chooser.sample(chores, 2))
        notes[f"Daily/{day.isoformat()}.md"] = _note(
            "tags: [daily]", f"# {day.strftime('%A %d %B %Y')}\n\n{text}"
        )
    return notes


def _questions(f: dict[str, str]) -> tuple[FamilyQuestion, ...]:
    raw = [
        (
            "F01",
            "The radiators are cold and the little needle is low, what do I do?",
            "en",
            ["House/Heating and boiler.md"],
        ),
        (
            "F02",
            "Where is the thing to let air out of the heaters?",
            "en",
            ["House/Heating and boiler.md"],
        ),
        ("F03", "Washer shows E18 and won't drain", "en", ["House/Washing machine.md"]),
        ("F04", "Which wash setting for the school clothes?", "en", ["House/Washing machine.md"]),
        (
            "F05",
            "Which evening do we put the black bin out?",
            "en",
            ["House/Bins and recycling.md"],
        ),
        ("F06", "Half the kitchen has no power", "en", ["House/Fuse box.md"]),
        (
            "F07",
            "How do I stop the sprinklers when it's raining?",
            "en",
            ["House/Garden and watering.md"],
        ),
        (
            "F08",
            "Wann kommt jemand die Heizung ablesen?",
            "de",
            ["House/Heizungsablesung und Nebenkosten.md"],
        ),
        ("F09", "Internet is down, how do I reboot the box?", "en", ["House/Wi-Fi and router.md"]),
        ("F10", "Wie heißt unser WLAN?", "de", ["House/Wi-Fi and router.md"]),
        (
            "F11",
            "What temperature for Oma's apple cake?",
            "en",
            ["Recipes/Grandma's apple cake.md"],
        ),
        (
            "F12",
            "How do you make the chocolate topping for the carrot cake?",
            "en",
            ["Recipes/Bolo de cenoura.md"],
        ),
        (
            "F13",
            "What can Leo take for lunch, his school bans nuts",
            "en",
            ["Recipes/Leo's lunchbox ideas.md"],
        ),
        (
            "F14",
            "Quanto tempo vai a feijoada na panela de pressão?",
            "pt",
            ["Recipes/Feijoada.md"],
        ),
        ("F15", "Gluten-free pancakes for Marta?", "en", ["Recipes/Pancakes.md"]),
        (
            "F16",
            "How long does the lentil soup keep in the fridge?",
            "en",
            ["Recipes/Linsensuppe.md"],
        ),
        ("F17", "When do I pick Leo up on Fridays?", "en", ["School/Leo - school contacts.md"]),
        (
            "F18",
            "How do I tell the school that Leo is sick?",
            "en",
            ["School/Leo - school contacts.md"],
        ),
        (
            "F19",
            "Does the Lyon exchange form need both of us to sign?",
            "en",
            ["School/Ana - Gymnasium.md"],
        ),
        ("F20", "Wann sind die Weihnachtsferien?", "de", ["School/School holidays.md"]),
        (
            "F21",
            "Até que horas as crianças podem usar o tablet?",
            "pt",
            ["School/Screen time rules.md", "House/Wi-Fi and router.md"],
        ),
        ("F22", "Where are the yellow vaccine booklets?", "en", ["Health/Vaccinations.md"]),
        (
            "F23",
            "Leo's lips are swelling after eating a cookie, what now?",
            "en",
            ["Health/Leo's allergy plan.md"],
        ),
        ("F24", "Wo ist der Notfall-Pen für Leo?", "de", ["Health/Leo's allergy plan.md"]),
        ("F25", "What's the dentist's phone number?", "en", ["Health/Doctors and dentists.md"]),
        (
            "F26",
            "Which exercises should I do at home for my back?",
            "en",
            ["Health/Marta - Physiotherapie.md"],
        ),
        (
            "F27",
            "Where is the key for the medicine cupboard?",
            "en",
            ["Health/Medicine cabinet.md"],
        ),
        ("F28", "What is our flight number to Lisbon?", "en", ["Travel/Summer in Portugal.md"]),
        ("F29", "Onde estão os passaportes das crianças?", "pt", ["Travel/Passports and IDs.md"]),
        ("F30", "Do we need snow chains in Austria?", "en", ["Travel/Skiurlaub Checkliste.md"]),
        ("F31", "Where do we keep the tent?", "en", ["Travel/Camping gear.md"]),
        (
            "F32",
            "I forgot the master password of the password manager",
            "en",
            ["Money/Accounts and logins.md"],
        ),
        (
            "F33",
            "The alarm is beeping and I didn't mean to set it off",
            "en",
            ["Money/Gate and alarm codes.md"],
        ),
        ("F34", "Wie viel Taschengeld bekommt Leo?", "de", ["Money/Pocket money.md"]),
        ("F35", "When do the winter tyres go on?", "en", ["Money/Car insurance and service.md"]),
        ("F36", "Quando é o aniversário da Vó Rosa?", "pt", ["Family/Birthdays.md"]),
        (
            "F37",
            "What time should Leo be in bed when the babysitter is here?",
            "en",
            ["Family/Babysitter instructions.md"],
        ),
        ("F38", "How often does Mia need her worm pill?", "en", ["Family/Pets - Mia the cat.md"]),
        (
            "F39",
            "How much did the plumber charge for the boiler valve?",
            "en",
            ["Daily/{year}-03-06.md"],
        ),
        (
            "F40",
            "How much have we spent on the shower remodel so far?",
            "en",
            ["Projects/Bathroom renovation.md"],
        ),
    ]
    return tuple(
        FamilyQuestion(
            id=qid,
            question=question,
            relevant=tuple(path.format(year=f["year"]) for path in paths),
            lang=lang,
        )
        for qid, question, lang, paths in raw
    )
