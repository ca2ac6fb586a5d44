//! Small CSV files with a fixed header, which people keep by hand beside the data: the
//! challenge log and submissions. Each record comes with its line and an excerpt for messages.

use crate::error::{Problem, Problems};
use std::path::Path;

/// A small file with a fixed header (submissions, the challenge log): every record with its
/// line and an excerpt for messages, and the problems met, each at its line (a line that is
/// not UTF-8 is one problem, not the end of the file). A missing file has no records.
pub(crate) fn read_fixed_csv(
    path: &Path,
    display: &Path,
    header: &[&str],
) -> (Vec<(usize, String, csv::StringRecord)>, Problems) {
    let mut problems = Problems::new();
    let mut records = Vec::new();
    let bytes = match crate::load::files::read_regular(path, crate::load::files::MAX_TEXT_BYTES) {
        Ok(b) => b,
        Err(_) if !path.exists() && std::fs::symlink_metadata(path).is_err() => {
            return (records, problems)
        }
        Err(e) => {
            problems.push(Problem::at_line(display, 1, 1, e));
            return (records, problems);
        }
    };
    if let Some(encoding) = crate::load::files::utf16(&bytes) {
        problems.push(Problem::at_line(
            display,
            1,
            1,
            format!("the file is {encoding} text; levers reads UTF-8: save it as \"CSV UTF-8\" and try again"),
        ));
        return (records, problems);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    match reader.byte_headers() {
        Ok(h)
            if h.iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .eq(header.iter().map(|h| h.to_string())) => {}
        Ok(h) => {
            let found: Vec<String> = h
                .iter()
                .map(|f| String::from_utf8_lossy(f).to_string())
                .collect();
            problems.push(
                Problem::at_line(
                    display,
                    1,
                    1,
                    format!("expected the header `{}`", header.join(",")),
                )
                .with_excerpt(found.join(",")),
            );
            return (records, problems);
        }
        Err(e) => {
            problems.push(Problem::at_line(
                display,
                1,
                1,
                format!("cannot read the header: {e}"),
            ));
            return (records, problems);
        }
    }
    for record in reader.byte_records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                match csv::StringRecord::from_byte_record(r) {
                    Ok(r) => {
                        let excerpt = r.iter().collect::<Vec<_>>().join(",");
                        records.push((line, excerpt, r));
                    }
                    Err(e) => {
                        let excerpt = e
                            .into_byte_record()
                            .iter()
                            .map(|f| String::from_utf8_lossy(f).to_string())
                            .collect::<Vec<_>>()
                            .join(",");
                        problems.push(
                            Problem::at_line(
                                display,
                                line,
                                1,
                                "this line is not UTF-8 text: save the file as UTF-8 and try again",
                            )
                            .with_excerpt(excerpt),
                        );
                    }
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(Problem::at_line(
                    display,
                    line,
                    1,
                    format!("cannot read the row: {e}"),
                ));
            }
        }
    }
    (records, problems)
}
