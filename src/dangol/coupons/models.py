"""Coupons and stamp cards: promotions redeemed at the counter."""
