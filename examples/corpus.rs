//! `cargo run --example corpus`: writes the labelled bulk-upload corpus into
//! `tests/corpus/`: certificate PDFs with a text layer (lopdf) in several layouts and
//! languages, scans of some of them (rendered with `pdftoppm`, then rotated and noised with
//! ImageMagick's `convert`), and `labels.json` with the true values and the organizations
//! known to the tenant. `cargo run --release --example accuracy` measures extraction and
//! matching on it. The files are committed; this only needs running to change them.

#[path = "../tests/common/pdf.rs"]
#[allow(dead_code)] // the corpus writes its scans with pdftoppm, not as image-only PDFs
mod pdf;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

#[derive(Clone, Copy)]
struct Doc {
    file: &'static str,
    layout: Layout,
    company: &'static str,
    address: &'static str,
    /// The organization it belongs to in the tenant, or none (it must not match).
    organization: Option<&'static str>,
    /// Printed VAT or website, when the layout prints them.
    vat: Option<&'static str>,
    website: Option<&'static str>,
    standard: (&'static str, &'static str),
    number: &'static str,
    body: &'static str,
    issued: &'static str,
    expires: &'static str,
}

#[derive(Clone, Copy)]
enum Layout {
    English,
    German,
    French,
    Spanish,
    Table,
}

/// The organizations of the tenant the corpus is matched against.
fn organizations() -> Value {
    json!([
        {"name": "Muster Metall GmbH", "vat": "DE123456789", "website": null},
        {"name": "Acme Widgets Inc", "vat": null, "website": "https://www.acme-widgets.example"},
        {"name": "Nordic Timber AB", "vat": "SE556677889901", "website": null},
        {"name": "Societe Lyonnaise de Mecanique S.A.", "vat": "FR40123456824", "website": null},
        {"name": "Fabrica Iberica de Tornillos S.L.", "vat": null, "website": "https://tornillos-iberica.example"},
        {"name": "Precision Parts Ltd", "vat": "GB123456789", "website": null},
        {"name": "Schmidt Kunststofftechnik GmbH", "vat": null, "website": "https://schmidt-kt.example"},
        {"name": "Biofuel Energy AG", "vat": "CHE123456789", "website": null},
        {"name": "Muster Plastik GmbH", "vat": null, "website": null},
    ])
}

/// Date as the layout writes it (input is ISO).
fn written(layout: Layout, iso: &str) -> String {
    let d = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap();
    match layout {
        Layout::English => d.format("%d %B %Y").to_string(),
        Layout::German => d.format("%d.%m.%Y").to_string(),
        Layout::French | Layout::Spanish => d.format("%d/%m/%Y").to_string(),
        Layout::Table => iso.to_string(),
    }
}

fn lines(d: &Doc) -> Vec<String> {
    let (std_name, _) = d.standard;
    let (issued, expires) = (written(d.layout, d.issued), written(d.layout, d.expires));
    let mut out: Vec<String> = match d.layout {
        Layout::English => vec![
            "CERTIFICATE OF REGISTRATION".into(),
            format!("{} hereby certifies that", d.body),
            d.company.into(),
            d.address.into(),
            format!("operates a management system which complies with {std_name}"),
            "Scope: Design and manufacture of components".into(),
            format!("Certificate No.: {}", d.number),
            format!("Date of issue: {issued}"),
            format!("Valid until: {expires}"),
        ],
        Layout::German => vec![
            "ZERTIFIKAT".into(),
            format!("Die Zertifizierungsstelle der {} bescheinigt, dass", d.body),
            d.company.into(),
            d.address.into(),
            format!("ein Managementsystem nach DIN EN {std_name} eingefuehrt hat."),
            "Geltungsbereich: Herstellung von Praezisionsteilen".into(),
            format!("Zertifikat-Registrier-Nr. {}", d.number),
            format!("Gueltig vom {issued} bis {expires}"),
        ],
        Layout::French => vec![
            "CERTIFICAT".into(),
            format!("{} certifie que", d.body),
            d.company.into(),
            d.address.into(),
            format!("a mis en place un systeme de management conforme a {std_name}"),
            format!("Numero de certificat : {}", d.number),
            format!("Valable du {issued} au {expires}"),
        ],
        Layout::Spanish => vec![
            "CERTIFICADO".into(),
            format!("{} certifica que", d.body),
            d.company.into(),
            d.address.into(),
            format!("ha implantado un sistema de gestion conforme a {std_name}"),
            format!("Certificado no. {}", d.number),
            format!("Fecha de emision: {issued}"),
            format!("Valido hasta: {expires}"),
        ],
        Layout::Table => vec![
            format!("{} - Certificate", d.body),
            "This is to certify that".into(),
            d.company.into(),
            d.address.into(),
            format!("Standard: {std_name}"),
            format!("Certificate number: {}", d.number),
            format!("Issue date: {issued}    Expiry date: {expires}"),
        ],
    };
    if let Some(vat) = d.vat {
        out.insert(4, format!("VAT ID: {vat}"));
    }
    if let Some(site) = d.website {
        out.insert(4, format!("www.{site}"));
    }
    out
}

fn docs() -> Vec<Doc> {
    use Layout::*;
    let doc =
        |file, layout, company, address, organization, standard, number, body, issued, expires| {
            Doc {
                file,
                layout,
                company,
                address,
                organization,
                vat: None,
                website: None,
                standard,
                number,
                body,
                issued,
                expires,
            }
        };
    let iso9001 = ("ISO 9001:2015", "ISO_9001");
    let iso14001 = ("ISO 14001:2015", "ISO_14001");
    let iso45001 = ("ISO 45001:2018", "ISO_45001");
    let iso27001 = ("ISO/IEC 27001:2022", "ISO_27001");
    let iso50001 = ("ISO 50001:2018", "ISO_50001");
    let iatf = ("IATF 16949:2016", "IATF_16949");
    let iscc = ("ISCC EU", "ISCC_EU");
    let mut all = vec![
        Doc {
            vat: Some("DE 123 456 789"),
            ..doc(
                "01-en-vat.pdf",
                English,
                "Muster Metall GmbH",
                "Industriestrasse 1, 70565 Stuttgart",
                Some("Muster Metall GmbH"),
                iso9001,
                "Q-2024-0815",
                "DEKRA",
                "2024-01-15",
                "2027-01-14",
            )
        },
        Doc {
            website: Some("acme-widgets.example"),
            ..doc(
                "02-en-domain.pdf",
                English,
                "Acme Widgets Incorporated",
                "500 Industrial Way, Springfield 62701",
                Some("Acme Widgets Inc"),
                iso14001,
                "EMS-700123",
                "BSI",
                "2024-03-01",
                "2027-02-28",
            )
        },
        doc(
            "03-de-name.pdf",
            German,
            "Schmidt Kunststofftechnik GmbH",
            "Hauptstrasse 12, 80331 Muenchen",
            Some("Schmidt Kunststofftechnik GmbH"),
            iso9001,
            "12 100 45678 TMS",
            "TUV SUD",
            "2023-06-01",
            "2026-05-31",
        ),
        Doc {
            vat: Some("FR 40 123456824"),
            ..doc(
                "04-fr-vat.pdf",
                French,
                "Societe Lyonnaise de Mecanique S.A.",
                "12 rue de la Republique, 69002 Lyon",
                Some("Societe Lyonnaise de Mecanique S.A."),
                iso45001,
                "FR-2023-7781",
                "AFNOR Certification",
                "2023-09-10",
                "2026-09-09",
            )
        },
        Doc {
            website: Some("tornillos-iberica.example"),
            ..doc(
                "05-es-domain.pdf",
                Spanish,
                "Fabrica Iberica de Tornillos S.L.",
                "Calle Mayor 5, 28013 Madrid",
                Some("Fabrica Iberica de Tornillos S.L."),
                iso9001,
                "ES-0457/2022",
                "AENOR",
                "2022-11-20",
                "2025-11-19",
            )
        },
        Doc {
            vat: Some("GB 123456789"),
            ..doc(
                "06-table-vat.pdf",
                Table,
                "Precision Parts Ltd",
                "Unit 4, Mill Lane, Leeds LS1 4AP",
                Some("Precision Parts Ltd"),
                iatf,
                "IATF-0371234",
                "LRQA",
                "2024-04-01",
                "2027-03-31",
            )
        },
        doc(
            "07-de-name.pdf",
            German,
            "Nordic Timber AB",
            "Skogsvagen 3, 11122 Stockholm",
            Some("Nordic Timber AB"),
            iso14001,
            "DE-UM-2024-77",
            "DQS",
            "2024-02-01",
            "2027-01-31",
        ),
        Doc {
            vat: Some("CHE-123.456.789"),
            ..doc(
                "08-en-iscc.pdf",
                English,
                "Biofuel Energy AG",
                "Industriering 7, 4600 Olten",
                Some("Biofuel Energy AG"),
                iscc,
                "EU-ISCC-Cert-DE105-12345678",
                "SGS",
                "2024-02-01",
                "2025-01-31",
            )
        },
        doc(
            "09-en-name.pdf",
            English,
            "Muster Metall GmbH",
            "Industriestrasse 1, 70565 Stuttgart",
            Some("Muster Metall GmbH"),
            iso50001,
            "EN-2024-5501",
            "DNV",
            "2024-05-01",
            "2027-04-30",
        ),
        doc(
            "10-table-name.pdf",
            Table,
            "Acme Widgets Inc.",
            "500 Industrial Way, Springfield 62701",
            Some("Acme Widgets Inc"),
            iso27001,
            "IS 712345",
            "BSI",
            "2023-12-01",
            "2026-11-30",
        ),
        Doc {
            vat: Some("SE556677889901"),
            ..doc(
                "11-fr-vat.pdf",
                French,
                "Nordic Timber AB",
                "Skogsvagen 3, 11122 Stockholm",
                Some("Nordic Timber AB"),
                iso9001,
                "FR-QM-2024-0042",
                "Bureau Veritas",
                "2024-01-10",
                "2027-01-09",
            )
        },
        doc(
            "12-es-name.pdf",
            Spanish,
            "Precision Parts Ltd",
            "Unit 4, Mill Lane, Leeds LS1 4AP",
            Some("Precision Parts Ltd"),
            iso14001,
            "ES-MA-2023-118",
            "Applus",
            "2023-03-15",
            "2026-03-14",
        ),
        Doc {
            website: Some("schmidt-kt.example"),
            ..doc(
                "13-en-domain.pdf",
                English,
                "Schmidt KT",
                "Hauptstrasse 12, 80331 Muenchen",
                Some("Schmidt Kunststofftechnik GmbH"),
                iso45001,
                "OHS-5521-77",
                "TUV Rheinland",
                "2024-07-01",
                "2027-06-30",
            )
        },
        doc(
            "14-de-name.pdf",
            German,
            "Biofuel Energy AG",
            "Industriering 7, 4600 Olten",
            Some("Biofuel Energy AG"),
            iso9001,
            "44 100 123456",
            "TUV NORD",
            "2022-08-01",
            "2025-07-31",
        ),
        doc(
            "15-table-name.pdf",
            Table,
            "Societe Lyonnaise de Mecanique SA",
            "12 rue de la Republique, 69002 Lyon",
            Some("Societe Lyonnaise de Mecanique S.A."),
            iatf,
            "IATF-0379876",
            "Bureau Veritas",
            "2024-10-01",
            "2027-09-30",
        ),
        doc(
            "16-en-unknown.pdf",
            English,
            "Unknown Gadgets Ltd",
            "1 High Street, Bristol BS1 1AA",
            None,
            iso9001,
            "UG-2024-117",
            "Intertek",
            "2024-01-01",
            "2027-01-01",
        ),
        doc(
            "17-de-unknown.pdf",
            German,
            "Weber Druckguss GmbH",
            "Gewerbepark 9, 33602 Bielefeld",
            None,
            iso14001,
            "12 104 99887 TMS",
            "TUV SUD",
            "2023-05-05",
            "2026-05-04",
        ),
        doc(
            "18-fr-unknown.pdf",
            French,
            "Atelier Dupont SARL",
            "3 place Bellecour, 69002 Lyon",
            None,
            iso9001,
            "FR-2024-0099",
            "AFNOR Certification",
            "2024-02-02",
            "2027-02-01",
        ),
        doc(
            "19-en-name.pdf",
            English,
            "Muster Plastik GmbH",
            "Ringstrasse 4, 70565 Stuttgart",
            Some("Muster Plastik GmbH"),
            iso9001,
            "Q-2023-4471",
            "DEKRA",
            "2023-04-01",
            "2026-03-31",
        ),
        doc(
            "20-es-unknown.pdf",
            Spanish,
            "Talleres Garcia S.A.",
            "Avenida del Puerto 20, 46021 Valencia",
            None,
            iso45001,
            "ES-SST-2024-31",
            "AENOR",
            "2024-06-01",
            "2027-05-31",
        ),
    ];
    // Scans: some of the above rendered as images, rotated and noised.
    let scans = [
        ("21-scan-en-vat.png", 0),
        ("22-scan-en-domain.jpg", 1),
        ("23-scan-de-name.png", 2),
        ("24-scan-fr-vat.jpg", 3),
        ("25-scan-es-domain.png", 4),
        ("26-scan-table-vat.jpg", 5),
        ("27-scan-de-name.png", 6),
        ("28-scan-en-iscc.jpg", 7),
        ("29-scan-en-unknown.png", 15),
        ("30-scan-de-unknown.jpg", 16),
    ];
    for (file, from) in scans {
        let src = &all[from];
        all.push(Doc { file, ..*src });
    }
    all
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let rotations = [0.8, -1.2, 1.5, -0.7, 1.0, -1.5, 0.5, -0.9, 1.2, -1.1];
    let mut labels = Vec::new();
    let mut scan_index = 0;
    for d in docs() {
        let pdf_bytes = pdf::with_lines(&lines(&d).iter().map(String::as_str).collect::<Vec<_>>());
        let path = dir.join(d.file);
        if d.file.ends_with(".pdf") {
            std::fs::write(&path, &pdf_bytes).unwrap();
        } else {
            let tmp = tempfile::tempdir().unwrap();
            let input = tmp.path().join("doc.pdf");
            std::fs::write(&input, &pdf_bytes).unwrap();
            let page = tmp.path().join("page");
            let ok = Command::new("pdftoppm")
                .args(["-png", "-r", "150", "-singlefile"])
                .arg(&input)
                .arg(&page)
                .status()
                .expect("pdftoppm (poppler-utils) is installed");
            assert!(ok.success());
            let ok = Command::new("convert")
                .arg(tmp.path().join("page.png"))
                .args([
                    "-background",
                    "white",
                    "-rotate",
                    &rotations[scan_index].to_string(),
                ])
                .args([
                    "-attenuate",
                    "0.3",
                    "+noise",
                    "Gaussian",
                    "-colorspace",
                    "Gray",
                ])
                .args(["-quality", "80", "-depth", "8"])
                .arg(&path)
                .status()
                .expect("convert (imagemagick) is installed");
            assert!(ok.success());
            scan_index += 1;
        }
        labels.push(json!({
            "file": d.file,
            "organization": d.organization,
            "certificate_type_code": d.standard.1,
            "certificate_number": d.number,
            "issue_date": d.issued,
            "expiry_date": d.expires,
        }));
    }
    let out = json!({"organizations": organizations(), "documents": labels});
    std::fs::write(
        dir.join("labels.json"),
        serde_json::to_string_pretty(&out).unwrap(),
    )
    .unwrap();
    println!("wrote {} documents to {}", labels.len(), dir.display());
}
