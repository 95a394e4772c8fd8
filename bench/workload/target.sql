-- Benchmark target side: random-UUID primary key, unique legacy id, one foreign key.
DROP SCHEMA IF EXISTS mapengine CASCADE;
DROP TABLE IF EXISTS orders, clinics, profiles;
CREATE TABLE clinics (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_clinic_id int UNIQUE);
CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_user_id int UNIQUE);
-- Fixed ids, so that the floor's exported rows stay valid after the table is recreated.
INSERT INTO clinics (id, legacy_clinic_id) SELECT md5('clinic' || g)::uuid, g FROM generate_series(1, 1000) g;
INSERT INTO profiles (id, legacy_user_id) SELECT md5('user' || g)::uuid, g FROM generate_series(1, 50000) g;
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  legacy_order_id int NOT NULL UNIQUE,
  clinic_id uuid NOT NULL REFERENCES clinics,
  profile_id uuid,
  total_cents bigint NOT NULL,
  status text NOT NULL,
  notes text,
  created_at timestamptz NOT NULL
);
ANALYZE;
