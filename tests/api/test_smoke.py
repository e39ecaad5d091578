def test_contacts_roundtrip(api):
    created = api.post("/contacts", {"email": "Ada@Example.com", "first_name": "Ada"})
    assert created.status_code == 201, created.content
    listed = api.get("/contacts").json()
    assert [c["email"] for c in listed["data"]] == ["Ada@Example.com"]
