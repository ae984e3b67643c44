-- 006: the rule that gave each order its click (collector/src/attribution/rules.ts):
-- same_browser, email, phone, shared_click or shared_link. NULL for orders without a click,
-- and for orders accepted before this migration (their linked_by still says the first link).

ALTER TABLE orders ADD COLUMN attribution_rule TEXT;
