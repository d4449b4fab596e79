-- Units form a tree: 县 → 学区/中心学校 → 学校. A unit's parent is named by the roster's 上级单位
-- column or a units file; a unit without a parent is a top unit (every unit, before this migration).
ALTER TABLE units ADD COLUMN parent_id INTEGER REFERENCES units(id);
CREATE INDEX units_parent ON units(parent_id);
