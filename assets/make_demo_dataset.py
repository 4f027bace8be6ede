"""Writes assets/demo_tickets.csv: customer-support tickets written for Tunelab.

Five classes (billing, shipping, technical, account, feedback). About one
ticket in eight touches two topics (a refund for a late parcel, a login
problem after a payment), labelled by what the customer asks for, so the
contenders genuinely differ. Seeded: `python assets/make_demo_dataset.py`
rewrites the same files. It also writes assets/demo_tickets_zh.csv, the same
kinds of ticket in Chinese (phrases in assets/demo_zh.py), for the Chinese interface.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

OPEN = ["Hi,", "Hello,", "Hi there,", "Good morning,", "Hey,", "Dear support,", "", "", "Hello team,", "Urgent:"]
CLOSE = ["Thanks.", "Thank you!", "Please help.", "Can you sort this out?", "Regards.", "", "", "Cheers.",
         "Waiting for your reply.", "This is really frustrating."]
ITEMS = ["order", "subscription", "annual plan", "headphones", "coffee grinder", "desk lamp", "gift card",
         "running shoes", "backpack", "phone case", "monthly box", "keyboard"]

TOPICS = {
    "billing": [
        "I was charged twice for my {item} this month.", "My card was billed {n} euros but the invoice says less.",
        "Why did my {item} renew at the full price when I had a discount code?",
        "I need a VAT invoice for my last payment.", "The payment failed but the money left my account anyway.",
        "Please refund the extra charge on my statement.", "I cancelled my {item} but you still took a payment.",
        "Can I switch from monthly to yearly billing and get the difference back?",
        "There is a charge of {n} dollars I don't recognise.", "My promo code was not applied at checkout.",
        "The price went up without any notice.", "How do I update the credit card you bill?",
        "I was billed in the wrong currency.", "I want my money back for the {item}, it was a duplicate purchase.",
    ],
    "shipping": [
        "My {item} still hasn't arrived after {n} days.", "The tracking number doesn't work.",
        "The parcel was delivered to the wrong address.", "Can I change the delivery address for my {item}?",
        "The courier says delivered but there is nothing at my door.", "My {item} arrived with the box crushed.",
        "When will my order ship? It's been stuck on 'processing' for a week.",
        "Do you deliver to Norway?", "Only half of my order arrived.", "The delivery was left out in the rain.",
        "Tracking hasn't updated since it left the warehouse.", "I need the {item} before Friday, can you express it?",
        "Customs is asking me to pay fees for my {item}.", "The wrong item came in my parcel.",
    ],
    "technical": [
        "The app crashes every time I open the settings page.", "I get error {n} when I try to upload a file.",
        "The website won't load on Safari.", "My {item} won't pair over Bluetooth.",
        "Notifications stopped working after the last update.", "The sync between my phone and laptop is broken.",
        "The page just spins forever when I click checkout.", "Firmware update failed and now the {item} won't turn on.",
        "Dark mode makes the text unreadable.", "The export to CSV produces an empty file.",
        "The search bar returns no results for anything.", "Videos stutter in the app since version 4.{n}.",
        "The {item} disconnects every few minutes.", "The API returns a 500 error for every request.",
    ],
    "account": [
        "I can't log in, it says my password is wrong.", "I never received the password reset email.",
        "Please delete my account and all my data.", "How do I change the email on my account?",
        "Someone else logged into my account.", "Two-factor codes are not arriving by SMS.",
        "I want to merge my two accounts.", "My account was locked after too many attempts.",
        "How do I add a second user to my {item}?", "I can't verify my phone number.",
        "Please change the name on my profile.", "I'd like to download all the data you hold on me.",
        "My username was changed without my permission.", "The sign-up link says it has expired.",
    ],
    "feedback": [
        "Just wanted to say the new {item} is fantastic.", "It would be great if you added a dark theme.",
        "Your support agent Maria was incredibly helpful.", "The new design is confusing, I preferred the old one.",
        "Please add more colours for the {item}.", "I love the service, keep it up!",
        "Suggestion: let us schedule deliveries for weekends.", "The quality of the {item} has gone down lately.",
        "The onboarding tutorial was really clear.", "You should offer a student discount.",
        "Honestly the best {item} I've owned.", "The packaging uses too much plastic.",
        "I'd like an option to export reports as PDF.", "Great experience overall, five stars.",
    ],
}

# Tickets that mention two topics; the label is what the customer wants done. Real
# agents disagree on these, so 30% of them carry the other topic's label.
MIXED = [
    ("billing", "My {item} arrived broken, so I want a refund to my card."),
    ("billing", "The parcel never came, please give me my money back."),
    ("shipping", "I paid for express shipping but the {item} is still not here."),
    ("account", "I can't log in to see my invoice."),
    ("technical", "The payment page crashes with error {n} when I try to pay."),
    ("billing", "I was charged for the {item} even though the app crashed before I confirmed."),
    ("shipping", "Please resend the {item}, my account shows it as delivered but it isn't here."),
    ("account", "After the update I was logged out and my password doesn't work anymore."),
    ("feedback", "Delivery was slow, but the {item} itself is great, thanks."),
    ("technical", "I can't update my card details, the form gives an error."),
    ("account", "Please close my account, the {item} never worked anyway."),
    ("feedback", "Your billing page is confusing, it took me ages to find the invoice."),
]
OTHER = {"My {item} arrived broken": "shipping", "The parcel never came": "shipping", "I paid for express": "billing",
         "I can't log in to see": "billing", "The payment page crashes": "billing", "I was charged for the": "technical",
         "Please resend the": "account", "After the update": "technical", "Delivery was slow": "shipping",
         "I can't update my card": "billing", "Please close my account": "technical", "Your billing page": "billing"}


EN = {"open": OPEN, "close": CLOSE, "items": ITEMS, "topics": TOPICS, "mixed": MIXED, "other": OTHER,
      "order": "Order #{n}.", "join": " ", "lower": True, "header": ["ticket", "category"]}


def chinese() -> dict:
    import demo_zh as zh

    return {"open": zh.OPEN, "close": zh.CLOSE, "items": zh.ITEMS, "topics": zh.TOPICS, "mixed": zh.MIXED,
            "other": zh.OTHER, "order": zh.ORDER, "join": "", "lower": False, "header": ["工单", "类别"]}


def ticket(rng: random.Random, template: str, kit: dict = EN) -> str:
    body = template.format(item=rng.choice(kit["items"]), n=rng.randint(2, 99))
    parts = [rng.choice(kit["open"]), body, rng.choice(kit["close"])]
    if rng.random() < 0.3:
        parts.insert(2, kit["order"].format(n=rng.randint(10000, 99999)))
    text = kit["join"].join(p for p in parts if p)
    return text.lower() if rng.random() < 0.1 and kit["lower"] else text


def rows(seed: int = 7, per_class: int = 120, mixed: int = 160, kit: dict = EN) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = set()
    for label, templates in kit["topics"].items():
        while sum(1 for _, y in out if y == label) < per_class:
            out.add((ticket(rng, rng.choice(templates), kit), label))
    while len(out) < per_class * len(kit["topics"]) + mixed:
        label, template = rng.choice(kit["mixed"])
        if rng.random() < 0.3:
            label = next(v for k, v in kit["other"].items() if template.startswith(k))
        out.add((ticket(rng, template, kit), label))
    result = sorted(out)
    rng.shuffle(result)
    return result


if __name__ == "__main__":
    for name, kit in (("demo_tickets.csv", EN), ("demo_tickets_zh.csv", chinese())):
        path = Path(__file__).with_name(name)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(kit["header"])
            w.writerows(rows(kit=kit))
        print(f"wrote {path}")
