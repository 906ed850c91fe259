"""Apple hardware model identifiers in the words people know their devices by.

A device reports `ProductName` as an identifier ("iPhone15,4"); people call it "iPhone 15".
The table is facts, kept by hand: the source of truth is Apple's support articles "Identify
your iPhone model", "Identify your iPad model" and "Identify your Mac model" (support.apple.com),
which list each model with its identifiers. When Apple ships a new model, add its line here
(libs/contracts/tests/test_device_models.py checks the table's shape). An identifier missing
from the table is shown as reported: never a wrong name, at worst a technical one.

Android and Windows devices report a marketing name already ("Pixel 8"); they pass unchanged.
"""

from __future__ import annotations

import re

APPLE_MODELS: dict[str, str] = {
    # iPhone
    "iPhone10,1": "iPhone 8", "iPhone10,4": "iPhone 8",
    "iPhone10,2": "iPhone 8 Plus", "iPhone10,5": "iPhone 8 Plus",
    "iPhone10,3": "iPhone X", "iPhone10,6": "iPhone X",
    "iPhone11,2": "iPhone XS", "iPhone11,4": "iPhone XS Max", "iPhone11,6": "iPhone XS Max",
    "iPhone11,8": "iPhone XR",
    "iPhone12,1": "iPhone 11", "iPhone12,3": "iPhone 11 Pro", "iPhone12,5": "iPhone 11 Pro Max",
    "iPhone12,8": "iPhone SE (2nd generation)",
    "iPhone13,1": "iPhone 12 mini", "iPhone13,2": "iPhone 12", "iPhone13,3": "iPhone 12 Pro",
    "iPhone13,4": "iPhone 12 Pro Max",
    "iPhone14,4": "iPhone 13 mini", "iPhone14,5": "iPhone 13", "iPhone14,2": "iPhone 13 Pro",
    "iPhone14,3": "iPhone 13 Pro Max", "iPhone14,6": "iPhone SE (3rd generation)",
    "iPhone14,7": "iPhone 14", "iPhone14,8": "iPhone 14 Plus", "iPhone15,2": "iPhone 14 Pro",
    "iPhone15,3": "iPhone 14 Pro Max",
    "iPhone15,4": "iPhone 15", "iPhone15,5": "iPhone 15 Plus", "iPhone16,1": "iPhone 15 Pro",
    "iPhone16,2": "iPhone 15 Pro Max",
    "iPhone17,3": "iPhone 16", "iPhone17,4": "iPhone 16 Plus", "iPhone17,1": "iPhone 16 Pro",
    "iPhone17,2": "iPhone 16 Pro Max", "iPhone17,5": "iPhone 16e",
    # iPad
    "iPad12,1": "iPad (9th generation)", "iPad12,2": "iPad (9th generation)",
    "iPad13,18": "iPad (10th generation)", "iPad13,19": "iPad (10th generation)",
    "iPad13,16": "iPad Air (5th generation)", "iPad13,17": "iPad Air (5th generation)",
    "iPad14,1": "iPad mini (6th generation)", "iPad14,2": "iPad mini (6th generation)",
    "iPad14,8": "iPad Air 11-inch (M2)", "iPad14,9": "iPad Air 11-inch (M2)",
    "iPad14,10": "iPad Air 13-inch (M2)", "iPad14,11": "iPad Air 13-inch (M2)",
    "iPad16,3": "iPad Pro 11-inch (M4)", "iPad16,4": "iPad Pro 11-inch (M4)",
    "iPad16,5": "iPad Pro 13-inch (M4)", "iPad16,6": "iPad Pro 13-inch (M4)",
    # Mac
    "MacBookAir10,1": "MacBook Air (M1, 2020)", "MacBookPro17,1": "MacBook Pro (13-inch, M1, 2020)",
    "Macmini9,1": "Mac mini (M1, 2020)", "iMac21,1": "iMac (24-inch, M1, 2021)",
    "iMac21,2": "iMac (24-inch, M1, 2021)", "Mac14,2": "MacBook Air (M2, 2022)",
    "Mac14,15": "MacBook Air (15-inch, M2, 2023)", "Mac14,3": "Mac mini (M2, 2023)",
    "Mac15,12": "MacBook Air (13-inch, M3, 2024)", "Mac15,13": "MacBook Air (15-inch, M3, 2024)",
}

# What the registry stores for an Apple device: "iPhone15,4", or "iPhone (iPhone15,4)" (the
# family and the identifier, as the dispatcher's inventory joins them).
_WITH_IDENTIFIER = re.compile(r"^(?:[^()]*\()?(?P<identifier>[A-Za-z]+\d+,\d+)\)?$")


def friendly_model(model: str | None) -> str | None:
    """The model's everyday name if it is a known Apple identifier; otherwise as given."""
    if not model:
        return model
    match = _WITH_IDENTIFIER.match(model.strip())
    if match is None:
        return model
    return APPLE_MODELS.get(match.group("identifier"), model)


# Mac families and the first identifier major of each that has Apple silicon or the Apple T2
# Security Chip (Apple's "Mac models with the Apple T2 Security Chip", support.apple.com/HT208862,
# and "Identify your Mac model"): MacBookPro15,x (2018), MacBookAir8,x (2018), Macmini8,1 (2018),
# iMac20,x (2020), iMacPro1,1, MacPro7,1 (2019); Apple silicon from MacBookAir10,1,
# MacBookPro17,1, Macmini9,1, iMac21,x on, and every "MacNN,x" identifier (Apple silicon only).
_T2_OR_APPLE_SILICON_FROM: dict[str, int] = {
    "MacBookPro": 15, "MacBookAir": 8, "Macmini": 8, "iMac": 20, "iMacPro": 1, "MacPro": 7,
    "Mac": 1,
}
_MAC_IDENTIFIER = re.compile(r"^(?P<family>[A-Za-z]+)(?P<major>\d+),\d+$")


def mac_needs_find_my_pin(model: str | None) -> bool:
    """Whether a Mac of `model` needs the six-character Find My PIN to be locked or erased.

    Apple's schema marks `PIN` optional for DeviceLock and EraseDevice; a Mac with the T2 chip
    or Apple silicon locks and erases (Erase All Content and Settings) without one, while an
    older Intel Mac sets a firmware lock that only that PIN opens. An unknown or unreported
    model counts as an older Mac: asking for a PIN it does not need is harmless, leaving out
    one it needs is not."""
    match = _WITH_IDENTIFIER.match((model or "").strip())
    parts = _MAC_IDENTIFIER.match(match.group("identifier")) if match else None
    if parts is None:
        return True
    first_modern = _T2_OR_APPLE_SILICON_FROM.get(parts.group("family"))
    return first_modern is None or int(parts.group("major")) < first_modern
