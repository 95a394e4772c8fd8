-- Benchmark legacy side: :rows orders referencing clinics and users.
DROP TABLE IF EXISTS orders, clinics, users;
CREATE TABLE clinics (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE TABLE orders (
  id int PRIMARY KEY,
  clinic_id int NOT NULL,
  user_id int,
  total numeric(10,2) NOT NULL,
  status char(1) NOT NULL,
  notes text,
  created_at timestamp NOT NULL
);
INSERT INTO clinics SELECT g, 'Clinic ' || g FROM generate_series(1, 1000) g;
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 50000) g;
INSERT INTO orders
SELECT g, ((g::bigint * 7919) % 1000 + 1)::int, ((g::bigint * 104729) % 50000 + 1)::int,
       ((g::bigint * 31) % 100000) / 100.0,
       (ARRAY['A','S','C','X'])[(g % 4) + 1],
       '  order note ' || g || '  ',
       timestamp '2019-01-01' + (g % 100000) * interval '17 minutes'
FROM generate_series(1, :rows) g;
ANALYZE;
