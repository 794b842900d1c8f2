use super::*;

fn text(f: &Option<Field<String>>) -> Option<&str> {
    f.as_ref().map(|f| f.value.as_str())
}

fn date(f: &Option<Field<NaiveDate>>) -> Option<String> {
    f.as_ref().map(|f| f.value.to_string())
}

/// Lines as OCR reads them, every word of a line read with the line's confidence.
fn ocr<'a>(lines: &[(&'a str, f32)]) -> Vec<ReadLine<'a>> {
    lines
        .iter()
        .map(|(text, q)| ReadLine {
            text,
            words: vec![*q; text.split_whitespace().count()],
            chars: Vec::new(),
        })
        .collect()
}

#[test]
fn a_certificate_with_labels_and_identifiers() {
    let ex = fields(
        "CERTIFICATE\nDEKRA Certification GmbH hereby certifies that\nMuster Metall GmbH\nIndustriestrasse 1, 70565 Stuttgart, Germany\nVAT ID: DE 123456789\nwww.muster-metall.example\nhas implemented a quality management system according to ISO 9001:2015\nScope: Machining of precision parts\nCertificate No.: 91234567/2\nValid until: 14 January 2027\n",
        "pdf-text",
    );
    assert_eq!(text(&ex.company_name), Some("Muster Metall GmbH"));
    assert_eq!(
        text(&ex.address),
        Some("Industriestrasse 1, 70565 Stuttgart, Germany")
    );
    assert_eq!(text(&ex.vat), Some("DE123456789"));
    assert_eq!(ex.domains, ["muster-metall.example"]);
    assert_eq!(text(&ex.certificate_type_code), Some("ISO_9001"));
    assert_eq!(text(&ex.certificate_number), Some("91234567/2"));
    assert_eq!(text(&ex.issuing_body), Some("DEKRA"));
    assert_eq!(text(&ex.scope), Some("Machining of precision parts"));
    assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-14"));
    assert!(ex.doubtful_fields().is_empty(), "{ex:?}");
}

#[test]
fn a_name_and_address_on_one_line_and_a_combined_certificate() {
    let ex = fields(
        "CERTIFICATE\nTÜV SÜD Management Service GmbH certifies that\nMuster Metall GmbH, Industriestrasse 1, 70565 Stuttgart\nhas a quality management system according to IATF 16949:2016 in conjunction with ISO 9001:2015\nCertificate No.: 12 111 45678 TMS\nValid until: 14 January 2027\n",
        "pdf-text",
    );
    assert_eq!(text(&ex.company_name), Some("Muster Metall GmbH"));
    assert_eq!(
        text(&ex.address),
        Some("Industriestrasse 1, 70565 Stuttgart")
    );
    assert_eq!(text(&ex.certificate_type_code), Some("IATF_16949"));
    assert_eq!(ex.other_standards, ["ISO_9001"]);
}

#[test]
fn a_postcode_is_never_the_certificate_number() {
    for address in [
        "Industriestrasse 1, D-70565 Stuttgart",
        "Bahnhofstrasse 3, CH-8001 Zürich",
        "ul. Prosta 5, PL-00-950 Warszawa",
    ] {
        let ex = fields(
            &format!(
                "CERTIFICATE\nMuster Metall GmbH\n{address}\nISO 9001:2015\nValid until: 14.01.2027\n"
            ),
            "pdf-text",
        );
        assert_eq!(text(&ex.certificate_number), None, "{address}");
    }
    // A number elsewhere on the page is still found.
    let ex = fields(
        "CERTIFICATE\nMuster Metall GmbH\nIndustriestrasse 1, D-70565 Stuttgart\nISO 9001:2015 Q-2024-0815\n",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("Q-2024-0815"));
}

#[test]
fn a_value_never_runs_into_the_next_line_or_the_next_label() {
    let ex = fields(
        "ZERTIFIKAT\nZertifikat-Nr.:\nQ-2024-0815\nAusstellungsdatum: 15.01.2024   Gültig bis: 14.01.2027\nGeltungsbereich: Drehteile\nSeite 1",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("Q-2024-0815"));
    assert_eq!(date(&ex.issue_date).as_deref(), Some("2024-01-15"));
    assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-14"));
    assert_eq!(text(&ex.scope), Some("Drehteile"));
}

#[test]
fn labels_and_dates_of_each_language() {
    for (lines, expiry) in [
        (
            "Nr certyfikatu: Q-77/1\nWażny do: 3 października 2027",
            "2027-10-03",
        ),
        (
            "Číslo certifikátu: Q-77/1\nPlatnost do: 3. 10. 2027",
            "2027-10-03",
        ),
        (
            "Certifikatnummer: Q-77/1\nGiltigt till: 2027-10-03",
            "2027-10-03",
        ),
        (
            "Certificaatnummer: Q-77/1\nGeldig tot: 03-10-2027",
            "2027-10-03",
        ),
        (
            "Certificado n.º: Q-77/1\nVálido até: 3 de outubro de 2027",
            "2027-10-03",
        ),
        (
            "Certificato n. Q-77/1\nData di scadenza: 03/10/2027",
            "2027-10-03",
        ),
        (
            "N° de certificat : Q-77/1\nValable jusqu'au 3 octobre 2027",
            "2027-10-03",
        ),
    ] {
        let ex = fields(&format!("ISO 14001:2015\n{lines}"), "pdf-text");
        assert_eq!(text(&ex.certificate_number), Some("Q-77/1"), "{lines}");
        assert_eq!(date(&ex.expiry_date).as_deref(), Some(expiry), "{lines}");
    }
}

#[test]
fn numbers_are_checked_against_their_body_and_never_another_identifier() {
    // The body's format found where the label's value is garbled by OCR.
    let ex = fields(
        "BSI Assurance UK Ltd certifies that\nAcme Widgets Inc\nISO 9001:2015\nCertificado n.2 FM 985332.\nValid until: 15/05/2029",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("FM 985332"));
    // A VAT id or an accreditation number after a label is not the number.
    let ex = fields(
        "ISO 9001:2015\nCertificate No.: DE123456789\nValid until: 15/05/2029",
        "pdf-text",
    );
    assert_ne!(text(&ex.certificate_number), Some("DE123456789"));
    // A labelled value out of the body's known format: exact in a text layer, doubted
    // on a scan.
    let lines = [
        ("TÜV SÜD Management Service GmbH", 0.9),
        ("ISO 9001:2015", 0.9),
        ("Certificate No.: Q-1234", 0.9),
        ("Valid until: 15/05/2029", 0.9),
    ];
    let mut ex = fields_of_lines(&[ocr(&lines)], "ocr");
    crate::calibration::apply(&mut ex);
    assert_eq!(text(&ex.certificate_number), Some("Q-1234"));
    assert_eq!(ex.doubtful_fields(), ["certificate_number"]);
    let text_layer: Vec<ReadLine> = lines.iter().map(|(l, _)| ReadLine::exact(l)).collect();
    let mut ex = fields_of_lines(&[text_layer], "pdf-text");
    crate::calibration::apply(&mut ex);
    assert!(ex.doubtful_fields().is_empty());
}

#[test]
fn a_table_header_row_gives_each_column_its_value() {
    let ex = fields(
        "ISO 45001:2018\nNorm Zertifikat-Registrier-Nr. Gültig ab Gültig bis\nISO 45001:2018 ER-6049/1801 20.05.2023 18.05.2026",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("ER-6049/1801"));
    assert_eq!(date(&ex.issue_date).as_deref(), Some("2023-05-20"));
    assert_eq!(date(&ex.expiry_date).as_deref(), Some("2026-05-18"));
    // A number never runs into the next cell: a date written out, or a standard.
    let ex = fields(
        "ISO 9001:2015\nNorm Zertifikat-Registrier-Nr. Gültig ab Gültig bis\nISO 9001:2015 KCN 9992/84 27. März 2025 26. März 2028",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("KCN 9992/84"));
    assert_eq!(date(&ex.issue_date).as_deref(), Some("2025-03-27"));
    let ex = fields(
        "Norm Zertifikat-Registrier-Nr. Gültig ab Gültig bis\nQ-2024 0815 ISO 9001:2015 20.05.2023 18.05.2026",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("Q-2024 0815"));
}

#[test]
fn the_certificate_page_is_read_not_the_cover_letter_or_the_annex() {
    let letter = "DQS GmbH\nAugust-Schanz-Straße 21, 60433 Frankfurt\nMuster Metall GmbH\nDear Sir or Madam,\nplease find enclosed your certificate. Audit date: 02/01/2024";
    let certificate = "CERTIFICATE\nDQS GmbH hereby certifies that\nMuster Metall GmbH\nIndustriestraße 12, 70565 Stuttgart\nISO 9001:2015\nCertificate No.: 123456 QM15\nDate of issue: 15/01/2024\nValid until: 14/01/2027";
    let annex =
        "Annex to certificate 123456 QM15\nCertified sites:\nMuster Logistik GmbH – Frankfurt";
    let ex = fields(
        &format!("{letter}\u{c}{certificate}\u{c}{annex}"),
        "pdf-text",
    );
    assert_eq!(text(&ex.company_name), Some("Muster Metall GmbH"));
    assert_eq!(
        text(&ex.address),
        Some("Industriestraße 12, 70565 Stuttgart")
    );
    assert_eq!(date(&ex.issue_date).as_deref(), Some("2024-01-15"));
    assert_eq!(text(&ex.certificate_number), Some("123456 QM15"));
}

#[test]
fn a_flood_of_labels_and_standards_is_read_in_bounded_passes() {
    // 20,000 label-only lines and lines naming standards: read in linear passes (a
    // stack is at most a few lines), one number, one type.
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str("Valid until:\nCertificate No.:\n");
        text.push_str(&format!("ISO {} Q-{i}\n", 10_000 + i % 90_000));
    }
    let ex = fields(&text, "pdf-text");
    assert!(ex.certificate_type_code.is_some());
    assert!(ex.certificate_number.is_some());
}

#[test]
fn a_flood_of_numbers_out_of_their_bodys_format_is_not_repaired_one_by_one() {
    let head = "NSF International Strategic Registrations\nISO 9001:2015\n";
    // One number a lookalike keeps out of its body's format is put back.
    let one = fields(
        &format!("{head}Certificate No.: C0124155-1S1\n"),
        "pdf-text",
    );
    assert_eq!(text(&one.certificate_number), Some("C0124155-IS1"));
    // 10,000 labelled numbers of sixty lookalike characters that no repair fits: one is
    // tried on the first few only, and each tries at most two swaps.
    let mut page = String::from(head);
    for _ in 0..10_000 {
        page.push_str(&format!("Certificate No.: {}\n", "0".repeat(60)));
    }
    page.push_str("Certificate No.: C0124155-1S1\n");
    let flood = fields(&page, "pdf-text");
    assert_ne!(text(&flood.certificate_number), Some("C0124155-IS1"));
}

#[test]
fn a_flood_of_misread_labels_in_an_ocr_page_is_read_in_bounded_passes() {
    // As much OCR text as the reader keeps (256 KiB), every line near a label with one
    // letter misread: tolerant matching walks each line once per label, no more.
    let lines: Vec<String> = (0..4_400)
        .map(|i| {
            format!(
                "Valid untit: 14.01.2027 Certificate Na.: Q-{} Date of isue",
                1000 + i
            )
        })
        .collect();
    let page: Vec<(&str, f32)> = lines.iter().map(|l| (l.as_str(), 0.9)).collect();
    let ex = fields_of_lines(&[ocr(&page)], "ocr");
    assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-14"));
    assert_eq!(text(&ex.certificate_number), Some("Q-1000"));
}

/// Where OCR gives only words' confidences, a value is as sure as its least sure word: the
/// label's words read well do not vouch for a number OCR doubted.
#[test]
fn a_values_own_words_set_its_confidence_not_its_line() {
    let read = |number_conf: f32| {
        let lines = vec![
            ReadLine {
                text: "ISO 9001:2015",
                words: vec![0.96, 0.96],
                chars: Vec::new(),
            },
            ReadLine {
                text: "Certificate No.: Q-77/1",
                words: vec![0.97, 0.97, number_conf],
                chars: Vec::new(),
            },
        ];
        fields_of_lines(&[lines], "ocr")
            .certificate_number
            .expect("the number is read")
    };
    let (sure, doubted) = (read(0.96), read(0.41));
    assert_eq!(
        (sure.value.as_str(), doubted.value.as_str()),
        ("Q-77/1", "Q-77/1")
    );
    assert!(
        doubted.confidence < 0.5 * sure.confidence,
        "{doubted:?} {sure:?}"
    );
}

/// A number glued to its label's punctuation in one OCR word ("n.::MC-8132-Q", word
/// confidence 0.33) is as sure as its own characters, not as the word: the punctuation's
/// doubt is not the number's. A doubted character of the number still lowers it.
#[test]
fn a_values_own_characters_set_its_confidence_where_ocr_gives_them() {
    let read = |q_of_8: f32| {
        let text = "Certificato n.::MC-8132-Q";
        let chars: Vec<f32> = text
            .chars()
            .map(|c| match c {
                ':' => 0.6,
                '8' => q_of_8,
                _ => 0.97,
            })
            .collect();
        let lines = vec![
            ReadLine::exact("ISO 9001:2015"),
            ReadLine {
                text,
                words: vec![0.96, 0.33],
                chars,
            },
        ];
        fields_of_lines(&[lines], "ocr")
            .certificate_number
            .expect("the number is read")
    };
    let (sure, doubted) = (read(0.97), read(0.41));
    assert_eq!(sure.value, "MC-8132-Q");
    assert!(sure.confidence >= 0.6 * 0.97, "{sure:?}");
    assert!(
        doubted.confidence < 0.5 * sure.confidence,
        "{doubted:?} {sure:?}"
    );
}

/// A labelled date is as sure as its own characters: a smudged label does not make it
/// doubtful, a doubted digit does.
#[test]
fn a_dates_own_characters_set_its_confidence() {
    let read = |label_q: f32, digit_q: f32| {
        let text = "Gecerlilik Tarihi: 27.11.2028";
        let at = text.find("27.").unwrap();
        let chars: Vec<f32> = text
            .char_indices()
            .map(|(i, _)| match i {
                i if i < at => label_q,
                i if i == at + 1 => digit_q,
                _ => 0.98,
            })
            .collect();
        let lines = vec![
            ReadLine::exact("ISO 9001:2015"),
            ReadLine {
                text,
                words: vec![label_q, label_q, 0.98],
                chars,
            },
        ];
        fields_of_lines(&[lines], "ocr")
            .expiry_date
            .expect("the expiry is read")
    };
    let smudged_label = read(0.4, 0.98);
    assert_eq!(smudged_label.value.to_string(), "2028-11-27");
    assert!(smudged_label.confidence >= 0.9, "{smudged_label:?}");
    let doubted_digit = read(0.98, 0.4);
    assert!(doubted_digit.confidence < 0.5, "{doubted_digit:?}");
}

#[test]
fn ocr_line_quality_lowers_confidence() {
    let page = vec![
        ("ISO 9001:2015", 0.95),
        ("Certificate No.: Q-77/1", 0.5),
        ("Valid until: 15/05/2029", 0.95),
    ];
    let mut ex = fields_of_lines(&[ocr(&page)], "ocr");
    crate::calibration::apply(&mut ex);
    assert_eq!(ex.doubtful_fields(), ["certificate_number"]);
}

/// Numbers as certification bodies print them, suffixes and all: each is read whole
/// after its label, and found whole by its body's format where the label is unreadable.
#[test]
fn numbers_are_read_whole_with_their_suffixes() {
    for (body, number, format_known) in [
        ("DNV Business Assurance", "C519167-IC1-ISO-NOR", true),
        ("DNV Business Assurance", "10000412345-MSC-UKAS-GBR", true),
        ("LRQA Limited", "LRQ9410579/A", true),
        ("LRQA Limited", "LRQ 0924759", true),
        ("SGS Polska Sp. z o.o.", "PL19/65862.00", true),
        ("SGS United Kingdom Ltd", "GB08/74322", true),
        ("Intertek Certification AB", "282413-2-SE", true),
        ("Bureau Veritas Certification", "FR049912-1", true),
        ("TÜV SÜD Management Service GmbH", "12 100 48520 TMS", true),
        ("TÜV Rheinland Cert GmbH", "01 100 1234567", true),
        ("TÜV NORD CERT GmbH", "44 100 1234567", true),
        ("DQS GmbH", "509713 QM15", true),
        ("DEKRA Certification GmbH", "91234567/2", true),
        ("BSI Assurance UK Ltd", "FM 612345", true),
        ("AENOR", "ER-0123/2010", true),
        ("AFNOR Certification", "2019/84521.3", false),
        ("NSF-ISR", "C0123456-IS1", false),
        (
            "Japan Quality Assurance Organization",
            "JQA-QMA12345",
            false,
        ),
        ("RINA Services S.p.A.", "12345/04/S", true),
        ("Kiwa Nederland B.V.", "K12345/02", true),
    ] {
        let labelled = format!(
            "{body} certifies that\nMuster Metall GmbH\nISO 9001:2015\nCertificate No.: {number}\nValid until: 15/05/2029"
        );
        let ex = fields(&labelled, "pdf-text");
        assert_eq!(text(&ex.certificate_number), Some(number), "{labelled}");
        // The label garbled ("Certificado n.2", as OCR reads "n.º"): a known body's
        // format still finds the number, and keeps its suffixes.
        if !format_known {
            continue;
        }
        let garbled = labelled.replace("Certificate No.:", "Cert1ficate N0 ;");
        let ex = fields(&garbled, "pdf-text");
        assert_eq!(text(&ex.certificate_number), Some(number), "{garbled}");
    }
}

/// Company identifiers are never the certificate number, whether their label says so or
/// their format does, in any language of the labels.
#[test]
fn company_identifiers_are_never_the_number() {
    for line in [
        "Vergi Kimlik No: 1234567890",
        "VKN: 1234567890",
        "Company registration no.: 01234567",
        "Handelsregister: HRB 12345",
        "Steuernummer: 143/123/45678",
        "KvK-nummer: 12345678",
        "SIRET : 123 456 789 00012",
        "Partita IVA: IT01234567890",
        "CNPJ: 12.345.678/0001-90",
        "Tax ID: TR1234567890",
        "Hojin bango: 1234567890123",
        "CHE-123.456.789 MWST",
    ] {
        let page = format!(
            "Türk Loydu certifies that\nMuster Döküm A.Ş.\n{line}\nISO 9001:2015\nValid until: 15/05/2029"
        );
        let ex = fields(&page, "pdf-text");
        assert_eq!(text(&ex.certificate_number), None, "{page}");
        // Beside the real number, the real number is read.
        let page = page.replace(
            "ISO 9001:2015",
            "ISO 9001:2015\nSertifika No: TL-QMS-4471/2",
        );
        let ex = fields(&page, "pdf-text");
        assert_eq!(
            text(&ex.certificate_number),
            Some("TL-QMS-4471/2"),
            "{page}"
        );
    }
}

#[test]
fn turkish_and_japanese_certificates_are_read_by_their_labels() {
    let ex = fields(
        "SERTİFİKA\nMuster Makina Sanayi ve Ticaret A.Ş.\nVergi No: 1234567890\nSertifika No: 2871-QMS-22\nStandart: ISO 9001:2015\nYayın Tarihi: 14.01.2024\nGeçerlilik Tarihi: 13.01.2027\nKapsam: Döküm parçaların işlenmesi",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("2871-QMS-22"));
    assert_eq!(date(&ex.issue_date).as_deref(), Some("2024-01-14"));
    assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-13"));
    assert_eq!(text(&ex.scope), Some("Döküm parçaların işlenmesi"));
    let ex = fields(
        "Certificate of Registration\nMuster Seiki Kabushiki Kaisha\nNinshō bangō / Certificate No.: JQA-QMA12345\nHakkō bi / Date of issue: 2024-01-14\nYūkō kigen / Valid until: 2027-01-13\nISO 9001:2015",
        "pdf-text",
    );
    assert_eq!(text(&ex.certificate_number), Some("JQA-QMA12345"));
    assert_eq!(date(&ex.issue_date).as_deref(), Some("2024-01-14"));
    assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-13"));
}

#[test]
fn a_label_word_that_begins_a_name_or_its_legal_form_is_part_of_the_name() {
    let ex = fields(
        "CERTIFICAT\nSociété: Société Lyonnaise de Mécanique Société Anonyme\nAdresse: 12 rue de la République, 69002 Lyon\nRéférentiel: ISO 9001:2015\nN° de certificat: AQI-10-9305\nValable jusqu'au: 18/11/2027\n",
        "pdf-text",
    );
    assert_eq!(
        text(&ex.company_name),
        Some("Société Lyonnaise de Mécanique Société Anonyme")
    );
    // A heading of labels, each with its colon, stays labels.
    let table = fields(
        "CERTIFICAT\nSociété :  Société :\nMuster SARL   Beispiel SA\nRéférentiel: ISO 9001:2015\nN° de certificat: AQI-10-9305\nValable jusqu'au: 18/11/2027\n",
        "pdf-text",
    );
    assert_ne!(text(&table.company_name), Some("Société :"));
}

/// OCR's misread punctuation in a name is put back; the name stays as sure as the words
/// OCR read, and a text layer's name is never changed.
#[test]
fn a_name_ocr_read_with_a_colon_for_a_dot_is_put_back_not_trusted_more() {
    let page = [
        ("CERTIFICATE", 0.95),
        ("JQA certifies that", 0.95),
        ("Yamada Seiki K:K.", 0.4),
        ("ISO 9001:2015", 0.95),
        ("Certificate No.: JQA-QMA12345", 0.95),
        ("Valid until: 15/05/2029", 0.95),
    ];
    let ex = fields_of_lines(&[ocr(&page)], "ocr");
    let name = ex.company_name.as_ref().unwrap();
    assert_eq!(name.value, "Yamada Seiki K.K.");
    assert!(name.confidence <= 0.4, "{}", name.confidence);
    let text_layer: Vec<ReadLine> = page.iter().map(|(l, _)| ReadLine::exact(l)).collect();
    let ex = fields_of_lines(&[text_layer], "pdf-text");
    assert_eq!(text(&ex.company_name), Some("Yamada Seiki K:K."));
}
