"""What the demo's tickets say: a short case summary per ticket, in the workflow's language.

Each summary is what a moderator or support agent saw, written the way a queue tool shows it
("User reports a listing selling counterfeit sneakers…"). Everything is synthetic and harmless:
no real names, no slurs, no graphic content; the harmful part is described, never quoted.

A workflow (policy area × language) has a few sentence templates whose slots are drawn from
short word lists, plus numbers (amounts, counts, hours) and now and then a note on the case's
context, so tens of thousands of tickets read as different cases. The draw is seeded by the
ticket (``ticket_excerpt`` takes its own ``random.Random``), so a ticket's text never changes.
"""

from __future__ import annotations

import random
import re

# (policy area, language) → (templates, slot word lists). Numeric slots are filled by
# ``_fill``: {n} a small count, {amount} a price, {hours} hours, {ref} a reference number.
Templates = tuple[tuple[str, ...], dict[str, tuple[str, ...]]]

EXCERPTS: dict[tuple[str, str], Templates] = {
    ("Hate speech", "en"): (
        (
            "Reported {channel} under a {topic} post uses a coded insult against a {group}.",
            "User reports a {channel} saying a {group} 'should not be allowed' at a {event}.",
            "{n} users flagged a meme that mocks a {group} with a well-known hateful caricature.",
            "Profile name contains a hateful number code; bio references a {group} negatively.",
            "Comment on a {topic} thread compares a {group} to pests; reporter is a bystander.",
        ),
        {
            "group": (
                "religious group",
                "national group",
                "ethnic group",
                "group of migrants",
                "group defined by disability",
                "group defined by sexual orientation",
            ),
            "topic": (
                "football highlights",
                "local news",
                "cooking",
                "travel vlog",
                "election",
                "music festival",
            ),
            "event": ("public pool", "school sports day", "city marathon", "food market"),
        },
    ),
    ("Hate speech", "es"): (
        (
            "Usuario denuncia un {channel} que insulta a un {group} en una publicación sobre "
            "{topic}.",
            "{n} usuarios reportan un meme que ridiculiza a un {group} con una caricatura "
            "conocida.",
            "Comentario en un hilo de {topic} dice que un {group} 'no debería votar'.",
            "El nombre del perfil incluye un código numérico de odio y la biografía ataca a un "
            "{group}.",
            "Respuesta a un vídeo de {topic} generaliza de forma ofensiva sobre un {group}.",
        ),
        {
            "group": (
                "grupo religioso",
                "grupo de migrantes",
                "grupo étnico",
                "colectivo por su orientación sexual",
                "grupo por su discapacidad",
            ),
            "topic": (
                "fútbol",
                "noticias locales",
                "recetas",
                "un concierto",
                "las elecciones",
                "viajes",
            ),
        },
    ),
    ("Violent extremism", "en"): (
        (
            "{channel_cap} shares a recruitment flyer for a banned militia with a link to a "
            "private channel.",
            "Account posts {n} clips praising a designated group's anniversary; captions ask "
            "followers to 'join the cause'.",
            "User reports a {channel} using a designated group's logo as a profile banner; "
            "no other content.",
            "News account reposts a designated group's statement with critical commentary "
            "({topic}).",
            "{channel_cap} sells T-shirts with a banned group's slogan; {n} orders mentioned.",
        ),
        {
            "topic": (
                "documentary excerpt",
                "journalist thread",
                "academic summary",
                "fact-check article",
            ),
        },
    ),
    ("Child safety", "en"): (
        (
            "Reporter says an adult account keeps offering in-game gifts to a user who says they "
            "are {age} and asks to move to a private app.",
            "Profile says the user is {age}; account asks strangers for follows and {request}.",
            "Parent reports a {channel} from an unknown adult asking their {age}-year-old for "
            "{request}.",
            "{n} accounts share a school photo of a minor with mocking captions.",
            "Livestream viewer asks a streamer who says they are {age} for {request}.",
        ),
        {
            "age": ("12", "13", "14", "15"),
            "request": (
                "their home town",
                "a phone number",
                "a private video call",
                "their school's name",
            ),
        },
    ),
    ("Harassment", "en"): (
        (
            "Comment calls another user '{insult}' after {event}.",
            "User reports {n} messages in a day from the same account calling them '{insult}'.",
            "{channel_cap} posts a screenshot of a user's street name after {event}.",
            "Group of accounts reply '{insult}' under every post of one creator since {event}.",
            "Reporter says an ex-teammate keeps tagging them in posts calling them '{insult}'.",
        ),
        {
            "insult": ("a clown", "a total joke", "useless", "a fraud", "a loser", "brainless"),
            "event": (
                "a ranked match",
                "a cooking livestream",
                "a neighbourhood group vote",
                "a product review",
                "a chess tournament",
                "a school quiz night",
            ),
        },
    ),
    ("Harassment", "pt"): (
        (
            "Comentário chama outro usuário de '{insult}' depois de {event}.",
            "Usuário denuncia {n} mensagens no mesmo dia da mesma conta chamando-o de '{insult}'.",
            "{channel_cap} publica o nome da rua de um usuário depois de {event}.",
            "Várias contas respondem '{insult}' em todas as publicações de uma criadora há {days} "
            "dias.",
        ),
        {
            "insult": ("palhaço", "uma piada", "inútil", "fraude", "perdedor"),
            "event": (
                "uma partida ranqueada",
                "uma live de culinária",
                "uma votação do bairro",
                "uma avaliação de produto",
                "um torneio de xadrez",
            ),
        },
    ),
    ("Harassment", "pl"): (
        (
            "Komentarz nazywa innego użytkownika '{insult}' po {event}.",
            "Użytkownik zgłasza {n} wiadomości w ciągu dnia z tego samego konta: '{insult}'.",
            "{channel_cap} publikuje nazwę ulicy użytkownika po {event}.",
            "Kilka kont od {days} dni odpisuje '{insult}' pod każdym postem jednej twórczyni.",
        ),
        {
            "insult": ("klaun", "żałosny", "bezużyteczny", "oszust", "przegraniec"),
            "event": (
                "meczu rankingowym",
                "transmisji kulinarnej",
                "głosowaniu osiedlowym",
                "recenzji produktu",
                "turnieju szachowym",
            ),
        },
    ),
    ("Spam", "en"): (
        (
            "User reports a listing selling counterfeit {product} at {amount}.",
            "Account posted the same {product} giveaway link {n} times in an hour.",
            "{channel_cap} promises {amount} a day from home; link goes to a sign-up form.",
            "New account follows {n} users a minute and replies with a crypto wallet address.",
            "Comment offers followers for sale: '{n}k followers for {amount}'.",
        ),
        {
            "product": (
                "sneakers",
                "designer handbags",
                "headphones",
                "watches",
                "perfume",
                "concert tickets",
                "phone cases",
            ),
        },
    ),
    ("Misinformation", "en"): (
        (
            "{channel_cap} claims {claim}; {n} shares in the first hour.",
            "User reports a video saying {claim}, with an edited news logo.",
            "Post quotes a made-up official notice saying {claim}.",
            "Reporter flags a chart claiming {claim}; source link is dead.",
        ),
        {
            "claim": (
                "tap water in one city was 'poisoned overnight'",
                "polling stations close at noon on election day",
                "a common vitamin cures the flu in a day",
                "a bridge collapsed this morning (the photo is from another country)",
                "a bank is freezing all accounts on Monday",
                "a vaccine batch contains tracking chips",
            ),
        },
    ),
    ("Misinformation", "hi"): (
        (
            "{channel_cap}: पोस्ट में दावा है कि {claim}; पहले घंटे में {n} शेयर।",
            "उपयोगकर्ता ने एक वीडियो की शिकायत की जिसमें कहा गया कि {claim}।",
            "पोस्ट में एक नकली सरकारी सूचना है कि {claim}।",
            "रिपोर्ट: एक चार्ट दावा करता है कि {claim}; स्रोत का लिंक काम नहीं करता।",
        ),
        {
            "claim": (
                "शहर का नल का पानी रातों-रात ज़हरीला हो गया",
                "मतदान केंद्र दोपहर बारह बजे बंद हो जाएंगे",
                "एक आम विटामिन एक दिन में बुखार ठीक कर देता है",
                "सोमवार से सभी बैंक खाते बंद हो जाएंगे",
                "पुल आज सुबह गिर गया (तस्वीर किसी और देश की है)",
            ),
        },
    ),
    ("Billing", "en"): (
        (
            "Customer was charged {amount} twice for the {plan} plan on the same day.",
            "Customer asks for a refund of {amount}: cancelled the {plan} plan {days} days ago.",
            "Card payment of {amount} failed {n} times; customer wants to switch to invoice.",
            "Customer cannot find the invoice for order {ref} ({amount}) for their accountant.",
            "Customer disputes a {amount} renewal of the {plan} plan they say they never used.",
        ),
        {
            "plan": ("Basic", "Family", "Pro", "Team", "Annual"),
        },
    ),
    ("Billing", "es"): (
        (
            "Al cliente se le cobró {amount} dos veces por el plan {plan} el mismo día.",
            "El cliente pide el reembolso de {amount}: canceló el plan {plan} hace {days} días.",
            "El pago con tarjeta de {amount} falló {n} veces; el cliente quiere pagar por factura.",
            "El cliente no encuentra la factura del pedido {ref} ({amount}) para su contador.",
        ),
        {
            "plan": ("Básico", "Familiar", "Pro", "Equipo", "Anual"),
        },
    ),
    ("Account recovery", "en"): (
        (
            "Customer lost the phone with their 2FA app; has backup email but no recovery codes.",
            "Customer says someone changed their email address {hours} hours ago; posts they did "
            "not write are going out.",
            "Customer forgot which email the account uses; knows the last {n} digits of the card.",
            "Login alerts from {n} countries in a day; customer asks to lock the account.",
            "Customer changed phone number and cannot receive the login code (ticket {ref}).",
        ),
        {},
    ),
    ("Appeals", "en"): (
        (
            "User appeals the removal of a {content} flagged as {reason}; says it was {defence}.",
            "Creator appeals a {days}-day suspension for {reason}; first strike since joining "
            "in {years}.",
            "User appeals an age restriction on a {content}; says it is {defence}.",
            "Small business appeals a removed {content} flagged as {reason}.",
        ),
        {
            "content": (
                "cooking video",
                "product photo",
                "news repost",
                "comedy sketch",
                "history lecture clip",
            ),
            "reason": ("spam", "harassment", "violent content", "misinformation"),
            "defence": ("satire", "educational", "a quote from a news report", "their own work"),
        },
    ),
}

CHANNELS = {
    "en": {
        "post": "post",
        "comment": "comment",
        "message": "message",
        "profile": "profile",
        "video": "video",
        "email": "email",
        "chat": "chat",
        "phone": "call",
        "web_form": "web form",
    },
    "es": {
        "post": "publicación",
        "comment": "comentario",
        "message": "mensaje",
        "profile": "perfil",
        "video": "vídeo",
        "email": "correo",
        "chat": "chat",
        "phone": "llamada",
        "web_form": "formulario",
    },
    "pt": {
        "post": "publicação",
        "comment": "comentário",
        "message": "mensagem",
        "profile": "perfil",
        "video": "vídeo",
    },
    "pl": {
        "post": "post",
        "comment": "komentarz",
        "message": "wiadomość",
        "profile": "profil",
        "video": "film",
    },
    "hi": {
        "post": "पोस्ट",
        "comment": "टिप्पणी",
        "message": "संदेश",
        "profile": "प्रोफ़ाइल",
        "video": "वीडियो",
    },
}
# Context a queue tool adds to some cases, per kind of work and language.
NOTES = {
    "moderation": {
        "en": (
            "Reporter and author have no prior contact.",
            "Second report on this author this week.",
            "Author has {n} earlier strikes.",
            "Flagged by the classifier, not a user.",
            "Account created {days} days ago.",
            "Same content already actioned elsewhere.",
        ),
        "es": (
            "Segunda denuncia contra este autor esta semana.",
            "Cuenta creada hace {days} días.",
            "Detectado por el clasificador.",
        ),
        "pt": (
            "Segunda denúncia contra este autor esta semana.",
            "Conta criada há {days} dias.",
            "Detectado pelo classificador.",
        ),
        "pl": (
            "Drugie zgłoszenie tego autora w tym tygodniu.",
            "Konto założone {days} dni temu.",
            "Wykryte przez klasyfikator.",
        ),
        "hi": (
            "इस लेखक पर इस सप्ताह दूसरी शिकायत।",
            "खाता {days} दिन पहले बना।",
            "क्लासिफ़ायर ने चिह्नित किया।",
        ),
    },
    "support": {
        "en": (
            "Customer has been waiting {hours} hours.",
            "Reopened ticket.",
            "Customer since {years}.",
            "Third contact about this issue.",
        ),
        "es": (
            "El cliente espera desde hace {hours} horas.",
            "Ticket reabierto.",
            "Tercer contacto por este tema.",
        ),
    },
}
SUPPORT_CHANNELS = {"email", "chat", "phone", "web_form"}
NOTE_SHARE = 0.45
CURRENCIES = {"en": "${:,.2f}", "es": "{:.2f} €"}
SLOT = re.compile(r"{(\w+)}")


def _fill(rng: random.Random, text: str, words: dict, language: str, channel: str) -> str:
    """Replace each {slot} of ``text``: a word list, the channel, or a number."""
    channels = CHANNELS.get(language, CHANNELS["en"])

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in words:
            return rng.choice(words[name])
        if name in ("channel", "channel_cap"):
            word = channels.get(channel, channels["post"])
            return word[:1].upper() + word[1:] if name == "channel_cap" else word
        if name == "n":
            return str(rng.randint(2, 40))
        if name == "amount":
            amount = CURRENCIES.get(language, CURRENCIES["en"]).format(
                rng.randint(399, 24999) / 100
            )
            return amount.replace(".", ",") if language == "es" else amount
        if name == "days":
            return str(rng.randint(2, 45))
        if name == "hours":
            return str(rng.randint(2, 72))
        if name == "years":
            return str(rng.randint(2012, 2024))
        if name == "ref":
            return f"#{rng.randint(100000, 999999)}"
        raise KeyError(f"no demo words for {{{name}}}")

    return SLOT.sub(value, text)


def ticket_excerpt(rng: random.Random, policy_area: str, language: str, channel: str) -> str:
    """A case summary for a ticket of ``policy_area`` in ``language`` (English when the
    demo has no text in that language)."""
    templates, words = EXCERPTS.get((policy_area, language)) or EXCERPTS[(policy_area, "en")]
    language = language if (policy_area, language) in EXCERPTS else "en"
    text = _fill(rng, rng.choice(templates), words, language, channel)
    notes = NOTES["support" if channel in SUPPORT_CHANNELS else "moderation"].get(language)
    if notes and rng.random() < NOTE_SHARE:
        text += " " + _fill(rng, rng.choice(notes), {}, language, channel)
    return text
