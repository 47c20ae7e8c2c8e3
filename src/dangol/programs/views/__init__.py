"""Pages of programs, one module per screen family: console (programs, review queue, grants),
downloads, hall_pages (hall curation), rollout_pages, pledge_pages, apply (the merchant's
application) and hall_shop (the customer's promotion hall and its buy page)."""
