"""Certificates (合格证明) for passing the special exam, their public verification, and
admission notices (准考证): PDFs with an embedded Chinese font and a QR code."""
