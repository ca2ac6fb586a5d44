-- levers 0.1.0: contract edge (FX/SQL) as T-SQL (SQL Server) SQL.
-- The dataset views read the files of 2026-10 with levers' cell rules; then
-- levers_kpi(kpi, "group", numerator, denominator, value) holds every measured KPI's figures
-- and levers_challenges(id, rule, record, value) every challenge raised, as levers computes them.
DROP TABLE IF EXISTS [activity_file];
GO
CREATE TABLE [activity_file] ([_row] BIGINT IDENTITY(1,1) NOT NULL, [c1] NVARCHAR(4000) NULL, [c2] NVARCHAR(4000) NULL, [c3] NVARCHAR(4000) NULL, [c4] NVARCHAR(4000) NULL, [c5] NVARCHAR(4000) NULL, [c6] NVARCHAR(4000) NULL, [c7] NVARCHAR(4000) NULL, [c8] NVARCHAR(4000) NULL, [c9] NVARCHAR(4000) NULL, [c10] NVARCHAR(4000) NULL, [c11] NVARCHAR(4000) NULL, [c12] NVARCHAR(4000) NULL, [c13] NVARCHAR(4000) NULL);
GO
CREATE OR ALTER VIEW [activity_file_load] AS SELECT [c1], [c2], [c3], [c4], [c5], [c6], [c7], [c8], [c9], [c10], [c11], [c12], [c13] FROM [activity_file];
GO
BULK INSERT [activity_file_load] FROM N'<workspace>/contracts/edge/data/activity/2026-10.csv' WITH (FORMAT = 'CSV', FIRSTROW = 2, CODEPAGE = '65001', TABLOCK);
GO
CREATE OR ALTER VIEW [activity] AS
SELECT [_row],
       N'2026-10' AS [_month],
       [commissioner_code],
       [end_date],
       [hrg],
       CASE WHEN ABS([minutes]) <= 1000000000000000 THEN [minutes] END AS [minutes],
       [nhs_number],
       [pod],
       CASE WHEN ABS([price]) <= 1000000000000000 THEN [price] END AS [price],
       [record_id],
       [specialty],
       [start_date],
       [urgent],
       CASE WHEN ABS([weight]) <= 1000000000000000 THEN [weight] END AS [weight]
FROM (SELECT [_row],
             [commissioner_code] AS [commissioner_code],
             TRY_CONVERT(DATE, [end_date], 23) AS [end_date],
             [hrg] AS [hrg],
             TRY_CAST([minutes] AS BIGINT) AS [minutes],
             [nhs_number] AS [nhs_number],
             [pod] AS [pod],
             (CASE WHEN ((([price] COLLATE Latin1_General_100_BIN2) LIKE N'(%)') OR (([price] COLLATE Latin1_General_100_BIN2) LIKE N'%-%')) THEN -1 ELSE 1 END * TRY_CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE([price], N'£', ''), N',', ''), N'(', ''), N')', ''), N'-', ''), N' ', '') AS DECIMAL(18,2))) AS [price],
             [record_id] AS [record_id],
             [specialty] AS [specialty],
             TRY_CONVERT(DATE, [start_date], 23) AS [start_date],
             CASE WHEN LOWER([urgent]) IN (N'true', N't', N'yes', N'y', N'1') THEN CAST(1 AS BIT) WHEN LOWER([urgent]) IN (N'false', N'f', N'no', N'n', N'0') THEN CAST(0 AS BIT) END AS [urgent],
             TRY_CAST([weight] AS DECIMAL(38,12)) AS [weight]
      FROM (SELECT [_row] AS [_row],
                   NULLIF(CASE WHEN UNICODE([c3]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c3], 1)) BETWEEN 33 AND 126 THEN [c3] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c3]) END, '') AS [commissioner_code],
                   NULLIF(CASE WHEN UNICODE([c8]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c8], 1)) BETWEEN 33 AND 126 THEN [c8] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c8]) END, '') AS [end_date],
                   NULLIF(CASE WHEN UNICODE([c6]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c6], 1)) BETWEEN 33 AND 126 THEN [c6] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c6]) END, '') AS [hrg],
                   NULLIF(CASE WHEN UNICODE([c9]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c9], 1)) BETWEEN 33 AND 126 THEN [c9] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c9]) END, '') AS [minutes],
                   NULLIF(CASE WHEN UNICODE([c2]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c2], 1)) BETWEEN 33 AND 126 THEN [c2] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c2]) END, '') AS [nhs_number],
                   NULLIF(CASE WHEN UNICODE([c4]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c4], 1)) BETWEEN 33 AND 126 THEN [c4] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c4]) END, '') AS [pod],
                   NULLIF(CASE WHEN UNICODE([c12]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c12], 1)) BETWEEN 33 AND 126 THEN [c12] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c12]) END, '') AS [price],
                   NULLIF(CASE WHEN UNICODE([c1]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c1], 1)) BETWEEN 33 AND 126 THEN [c1] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c1]) END, '') AS [record_id],
                   NULLIF(CASE WHEN UNICODE([c5]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c5], 1)) BETWEEN 33 AND 126 THEN [c5] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c5]) END, '') AS [specialty],
                   NULLIF(CASE WHEN UNICODE([c7]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c7], 1)) BETWEEN 33 AND 126 THEN [c7] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c7]) END, '') AS [start_date],
                   NULLIF(CASE WHEN UNICODE([c10]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c10], 1)) BETWEEN 33 AND 126 THEN [c10] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c10]) END, '') AS [urgent],
                   NULLIF(CASE WHEN UNICODE([c11]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c11], 1)) BETWEEN 33 AND 126 THEN [c11] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c11]) END, '') AS [weight]
            FROM [activity_file]) cells) parsed;
GO
DROP TABLE IF EXISTS [visits_file];
GO
CREATE TABLE [visits_file] ([_row] BIGINT IDENTITY(1,1) NOT NULL, [c1] NVARCHAR(4000) NULL, [c2] NVARCHAR(4000) NULL, [c3] NVARCHAR(4000) NULL, [c4] NVARCHAR(4000) NULL, [c5] NVARCHAR(4000) NULL);
GO
CREATE OR ALTER VIEW [visits_file_load] AS SELECT [c1], [c2], [c3], [c4], [c5] FROM [visits_file];
GO
BULK INSERT [visits_file_load] FROM N'<workspace>/contracts/edge/data/visits/2026-10.csv' WITH (FORMAT = 'CSV', FIRSTROW = 2, CODEPAGE = '65001', TABLOCK);
GO
CREATE OR ALTER VIEW [visits] AS
SELECT [_row],
       N'2026-10' AS [_month],
       CASE WHEN ABS([fee]) <= 1000000000000000 THEN [fee] END AS [fee],
       [on_time],
       [team],
       [visit_date],
       CASE WHEN ABS([visit_id]) <= 1000000000000000 THEN [visit_id] END AS [visit_id]
FROM (SELECT [_row],
             (CASE WHEN ((([fee] COLLATE Latin1_General_100_BIN2) LIKE N'(%)') OR (([fee] COLLATE Latin1_General_100_BIN2) LIKE N'%-%')) THEN -1 ELSE 1 END * TRY_CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE([fee], N'£', ''), N',', ''), N'(', ''), N')', ''), N'-', ''), N' ', '') AS DECIMAL(18,2))) AS [fee],
             CASE WHEN LOWER([on_time]) IN (N'true', N't', N'yes', N'y', N'1') THEN CAST(1 AS BIT) WHEN LOWER([on_time]) IN (N'false', N'f', N'no', N'n', N'0') THEN CAST(0 AS BIT) END AS [on_time],
             [team] AS [team],
             TRY_CONVERT(DATE, [visit_date], 103) AS [visit_date],
             TRY_CAST([visit_id] AS BIGINT) AS [visit_id]
      FROM (SELECT [_row] AS [_row],
                   NULLIF(CASE WHEN UNICODE([c5]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c5], 1)) BETWEEN 33 AND 126 THEN [c5] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c5]) END, '') AS [fee],
                   NULLIF(CASE WHEN UNICODE([c4]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c4], 1)) BETWEEN 33 AND 126 THEN [c4] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c4]) END, '') AS [on_time],
                   NULLIF(CASE WHEN UNICODE([c2]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c2], 1)) BETWEEN 33 AND 126 THEN [c2] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c2]) END, '') AS [team],
                   NULLIF(CASE WHEN UNICODE([c3]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c3], 1)) BETWEEN 33 AND 126 THEN [c3] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c3]) END, '') AS [visit_date],
                   NULLIF(CASE WHEN UNICODE([c1]) BETWEEN 33 AND 126 AND UNICODE(RIGHT([c1], 1)) BETWEEN 33 AND 126 THEN [c1] ELSE TRIM(NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160) + NCHAR(5760) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196) + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(12288) FROM [c1]) END, '') AS [visit_id]
            FROM [visits_file]) cells) parsed;
GO
CREATE OR ALTER VIEW [levers_kpi] AS
WITH [activity_sums] AS (SELECT SUM(CASE WHEN ((([pod] COLLATE Latin1_General_100_BIN2) = N'AE') AND ([minutes] <= 240)) THEN 1 ELSE 0 END) AS k0_n,
         SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'AE') THEN 1 ELSE 0 END) AS k0_d,
         SUM(CASE WHEN (([urgent] = 1) AND ([minutes] > 600)) THEN 1 ELSE 0 END) AS k2_n,
         SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) LIKE N'OP%') THEN [price] END) AS k3_s,
         SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) <> N'BIG') THEN (COALESCE([weight], 1) * [minutes]) END) AS k4_s,
         SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) IN (N'EL', N'NEL')) THEN CAST(DATEDIFF(day, [start_date], [end_date]) AS BIGINT) END) AS k5_s,
         COUNT(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) IN (N'EL', N'NEL')) THEN CAST(DATEDIFF(day, [start_date], [end_date]) AS BIGINT) END) AS k5_c,
         SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'BIG') THEN [minutes] END) AS k7_s,
         COUNT(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'BIG') THEN [minutes] END) AS k7_c,
         SUM(CASE WHEN (((((UPPER(COALESCE([pod], N'x')) COLLATE Latin1_General_100_BIN2) IN (N'AE', N'NEL')) AND (CAST(MONTH([start_date]) AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(LEN(TRIM([record_id]) + N'.') - 1 AS BIGINT) > 3)) AND ((NOT (([hrg] COLLATE Latin1_General_100_BIN2) LIKE N'A_0%')) OR ([hrg] IS NULL))) THEN 1 ELSE 0 END) AS k9_n,
         SUM(CASE WHEN ((((UPPER(COALESCE([pod], N'x')) COLLATE Latin1_General_100_BIN2) IN (N'AE', N'NEL')) AND (CAST(MONTH([start_date]) AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(LEN(TRIM([record_id]) + N'.') - 1 AS BIGINT) > 3)) THEN 1 ELSE 0 END) AS k9_d,
         SUM(CASE WHEN (((([pod] COLLATE Latin1_General_100_BIN2) = N'NONE') OR (([pod] COLLATE Latin1_General_100_BIN2) <> ([pod] COLLATE Latin1_General_100_BIN2))) AND ([minutes] < 10)) THEN 1 ELSE 0 END) AS k11_n,
         SUM(CASE WHEN ((([pod] COLLATE Latin1_General_100_BIN2) = N'NONE') OR (([pod] COLLATE Latin1_General_100_BIN2) <> ([pod] COLLATE Latin1_General_100_BIN2))) THEN 1 ELSE 0 END) AS k11_d,
         SUM(CASE WHEN ((([start_date] >= CAST('2026-10-15' AS DATE)) AND (NOT (CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = ([pod] COLLATE Latin1_General_100_BIN2)) THEN CAST(1 AS BIT) WHEN NOT (([pod] COLLATE Latin1_General_100_BIN2) = ([pod] COLLATE Latin1_General_100_BIN2)) THEN CAST(0 AS BIT) END IS NULL))) AND ([start_date] NOT BETWEEN CAST('2026-10-20' AS DATE) AND CAST('2026-10-25' AS DATE))) THEN 1 ELSE 0 END) AS k13_n,
         SUM(CASE WHEN (([start_date] >= CAST('2026-10-15' AS DATE)) AND (NOT (CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = ([pod] COLLATE Latin1_General_100_BIN2)) THEN CAST(1 AS BIT) WHEN NOT (([pod] COLLATE Latin1_General_100_BIN2) = ([pod] COLLATE Latin1_General_100_BIN2)) THEN CAST(0 AS BIT) END IS NULL))) THEN 1 ELSE 0 END) AS k13_d
  FROM [activity]),
[visits_sums] AS (SELECT SUM(CASE WHEN (([visit_date] >= CAST('2026-10-15' AS DATE)) AND (COALESCE([on_time], CAST(0 AS BIT)) = CAST(0 AS BIT))) THEN 1 ELSE 0 END) AS k0_n
  FROM [visits])
SELECT CAST(N'ae-4hr' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(COALESCE(k0_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k0_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k0_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k0_n, 0) AS DECIMAL(38,12)) / COALESCE(k0_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'fu-ratio' AS NVARCHAR(4000)) AS kpi, CAST(g AS NVARCHAR(4000)) AS [group], CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(n AS DECIMAL(38,12)) / d AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE([specialty], '') AS g, SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFA') THEN 1 ELSE 0 END) AS d FROM [activity] WHERE ((([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU') OR (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFA')) GROUP BY [specialty]) grouped
UNION ALL
SELECT CAST(N'fu-ratio-gated' AS NVARCHAR(4000)) AS kpi, CAST(g AS NVARCHAR(4000)) AS [group], CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(n AS DECIMAL(38,12)) / d AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(CAST(CAST(YEAR([start_date]) AS BIGINT) AS NVARCHAR(4000)), '') AS g, SUM(CASE WHEN ((([commissioner_code] COLLATE Latin1_General_100_BIN2) = N'15N') AND (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU')) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ((([commissioner_code] COLLATE Latin1_General_100_BIN2) = N'15N') AND (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFA')) THEN 1 ELSE 0 END) AS d FROM [activity] WHERE (([commissioner_code] COLLATE Latin1_General_100_BIN2) = N'15N') AND ((([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU') OR (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFA')) GROUP BY CAST(CAST(YEAR([start_date]) AS BIGINT) AS NVARCHAR(4000))) grouped
UNION ALL
SELECT CAST(N'urgent-long' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k2_n, 0) AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'outpatient-spend' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k3_s, 0) AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'weighted' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k4_s, 0) AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'los-mean' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k5_c = 0 THEN NULL ELSE CAST(CAST(k5_s AS DECIMAL(38,12)) / k5_c AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'big-mean' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k7_c = 0 THEN NULL ELSE CAST(CAST(k7_s AS DECIMAL(38,12)) / k7_c AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'minutes-median' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT (MIN(v) + MAX(v)) * 0.5 AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT [minutes] AS v FROM [activity]) gated WHERE v IS NOT NULL) ranked WHERE r IN (((n + 1) / (2)), ((n + 2) / (2)))) picked
UNION ALL
SELECT CAST(N'price-p95' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT [price] AS v FROM [activity]) gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((95 * n + 99) / (100)) < 1 THEN 1 ELSE ((95 * n + 99) / (100)) END) picked
UNION ALL
SELECT CAST(N'price-p1' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT [price] AS v FROM [activity]) gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((1 * n + 99) / (100)) < 1 THEN 1 ELSE ((1 * n + 99) / (100)) END) picked
UNION ALL
SELECT CAST(N'coded' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(COALESCE(k9_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k9_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k9_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k9_n, 0) AS DECIMAL(38,12)) / COALESCE(k9_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'nothing' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(COALESCE(k11_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k11_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k11_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k11_n, 0) AS DECIMAL(38,12)) / COALESCE(k11_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'dates' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(COALESCE(k13_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k13_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k13_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k13_n, 0) AS DECIMAL(38,12)) / COALESCE(k13_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM [activity_sums]
UNION ALL
SELECT CAST(N'visits-on-time' AS NVARCHAR(4000)) AS kpi, CAST(g AS NVARCHAR(4000)) AS [group], CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(n AS DECIMAL(38,12)) / d AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(CONVERT(NVARCHAR(10), [visit_date], 23), '') AS g, SUM(CASE WHEN (([team] IS NOT NULL) AND ([on_time] = CAST(1 AS BIT))) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ([team] IS NOT NULL) THEN 1 ELSE 0 END) AS d FROM [visits] WHERE ([team] IS NOT NULL) GROUP BY CONVERT(NVARCHAR(10), [visit_date], 23)) grouped
UNION ALL
SELECT CAST(N'visits-late-month' AS NVARCHAR(4000)) AS kpi, CAST(NULL AS NVARCHAR(4000)) AS [group], CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k0_n, 0) AS DECIMAL(38,12)) AS value FROM [visits_sums];
GO
CREATE OR ALTER VIEW [levers_challenges] AS
WITH [activity_challenged] AS (SELECT windowed.*, CASE WHEN (([price] > 1000) AND (([pod] COLLATE Latin1_General_100_BIN2) <> N'NEL')) THEN N'expensive' WHEN (([commissioner_code] COLLATE Latin1_General_100_BIN2) NOT IN (N'15N')) THEN N'responsible-commissioner' WHEN ([_dp2] = 1 AND [_dn2] > 1) THEN N'duplicate' WHEN (([nhs_number] IS NULL) OR (NOT ((LEN(REPLACE(REPLACE([nhs_number], ' ', ''), '-', '')) = 10 AND REPLACE(REPLACE([nhs_number], ' ', ''), '-', '') NOT LIKE '%[^0-9]%') AND ((11 - (((ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 1, 1)) - 48) * 10 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 2, 1)) - 48) * 9 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 3, 1)) - 48) * 8 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 4, 1)) - 48) * 7 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 5, 1)) - 48) * 6 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 6, 1)) - 48) * 5 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 7, 1)) - 48) * 4 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 8, 1)) - 48) * 3 + (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 9, 1)) - 48) * 2) % 11)) % 11) = (ASCII(SUBSTRING(REPLACE(REPLACE([nhs_number], ' ', ''), '-', ''), 10, 1)) - 48)))) THEN N'invalid-nhs-number' END AS [_rule] FROM (SELECT [activity].*, CASE WHEN ((([pod] COLLATE Latin1_General_100_BIN2) <> N'AE') AND [nhs_number] IS NOT NULL AND [pod] IS NOT NULL AND [start_date] IS NOT NULL) THEN 1 ELSE 0 END AS [_dp2], ROW_NUMBER() OVER (PARTITION BY CASE WHEN ((([pod] COLLATE Latin1_General_100_BIN2) <> N'AE') AND [nhs_number] IS NOT NULL AND [pod] IS NOT NULL AND [start_date] IS NOT NULL) THEN 1 ELSE 0 END, ([nhs_number] COLLATE Latin1_General_100_BIN2), ([pod] COLLATE Latin1_General_100_BIN2), [start_date] ORDER BY [_row]) AS [_dn2] FROM [activity]) windowed),
[visits_challenged] AS (SELECT windowed.*, CASE WHEN ([_dp0] = 1 AND [_dn0] > 1) THEN N'duplicate-visit' END AS [_rule] FROM (SELECT [visits].*, CASE WHEN ([team] IS NOT NULL AND [visit_date] IS NOT NULL) THEN 1 ELSE 0 END AS [_dp0], ROW_NUMBER() OVER (PARTITION BY CASE WHEN ([team] IS NOT NULL AND [visit_date] IS NOT NULL) THEN 1 ELSE 0 END, ([team] COLLATE Latin1_General_100_BIN2), [visit_date] ORDER BY [_row]) AS [_dn0] FROM [visits]) windowed)
SELECT ([_month] + N'/' + [_rule] + N'/' + record) AS id, [_rule] AS rule, record, CAST(SUM(v) AS DECIMAL(18,2)) AS value
FROM (SELECT [_month], [_rule], COALESCE([record_id], (N'line-' + CAST(([_row] + 1) AS NVARCHAR(4000)))) AS record, COALESCE([price], 0) AS v FROM [activity_challenged] WHERE [_rule] IS NOT NULL) taken
GROUP BY [_month], [_rule], record
UNION ALL
SELECT ([_month] + N'/' + N'fu-ratio' + N'/' + g) AS id, N'fu-ratio' AS rule, g AS record, CAST(CAST(CASE WHEN CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT)) + n) / (2 * n)) AS BIGINT) * 0.01 AS DECIMAL(18,2)) AS value
FROM (SELECT [_month], g, n, nv, n - FLOOR(1.5 * d) AS excess
      FROM (SELECT [_month], [specialty] AS g, SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFA') THEN 1 ELSE 0 END) AS d, SUM(CASE WHEN (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU') THEN COALESCE([price], 0) ELSE 0 END) AS nv
            FROM [activity_challenged]
            WHERE [_rule] IS NULL AND ((([pod] COLLATE Latin1_General_100_BIN2) = N'OPFU') OR (([pod] COLLATE Latin1_General_100_BIN2) = N'OPFA')) AND [specialty] IS NOT NULL
            GROUP BY [_month], [specialty]) tallied) capped
WHERE excess > 0 AND n > 0
UNION ALL
SELECT ([_month] + N'/' + [_rule] + N'/' + record) AS id, [_rule] AS rule, record, CAST(SUM(v) AS DECIMAL(18,2)) AS value
FROM (SELECT [_month], [_rule], COALESCE(CAST([visit_id] AS NVARCHAR(4000)), (N'line-' + CAST(([_row] + 1) AS NVARCHAR(4000)))) AS record, COALESCE([fee], 0) AS v FROM [visits_challenged] WHERE [_rule] IS NOT NULL) taken
GROUP BY [_month], [_rule], record;
GO
